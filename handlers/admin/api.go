package admin

import "github.com/gofiber/fiber/v2"

func (p *portal) registerAPI(app *fiber.App) {}
