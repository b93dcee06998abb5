package middleware

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
)

var (
	httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portcullis_http_requests_total",
		Help: "HTTP requests served, by method, route pattern and status code.",
	}, []string{"method", "route", "status"})
	httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "portcullis_http_request_duration_seconds",
		Help:    "Time to serve an HTTP request, by route pattern.",
		Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
	}, []string{"route"})
)

func init() {
	prometheus.MustRegister(httpRequests, httpDuration)
}

// Metrics counts requests and their durations for /metrics. Routes are
// labelled with their pattern (/oauth2/token/:applicationID), never the
// raw path, so the number of series stays bounded whatever clients send.
func Metrics() fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		route := "unmatched"
		if r := c.Route(); r != nil && r.Path != "/" && r.Path != "" {
			route = r.Path
		}
		status := c.Response().StatusCode()
		httpRequests.WithLabelValues(c.Method(), route, strconv.Itoa(status)).Inc()
		httpDuration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		return nil
	}
}
