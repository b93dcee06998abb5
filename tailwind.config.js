/** Tailwind CSS v3 configuration. The content globs must cover every file
 * that names classes, or the build drops them. */
module.exports = {
  content: ["./views/**/*.templ", "./views/**/*.go", "./static/js/**/*.js"],
  theme: {
    extend: {
      colors: {
        brand: {
          50: "#eef6ff",
          100: "#d9eaff",
          500: "#2f6fdf",
          600: "#1f58c2",
          700: "#1a469a",
          900: "#14254d",
        },
      },
    },
  },
  plugins: [require("@tailwindcss/forms")],
};
