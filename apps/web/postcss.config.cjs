// Mantine's PostCSS preset: rem/em helpers and light/dark mixins in the web app's CSS.
module.exports = {
  plugins: {
    'postcss-preset-mantine': {},
  },
};
