import { createTheme, type CSSVariablesResolver } from '@mantine/core';

/** One theme for the landing page, the portal and the admin UI. */
export const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: 7,
  // Transitions are skipped for people who ask their system for less motion.
  respectReducedMotion: true,
  defaultRadius: 'md',
  fontFamily:
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif',
  headings: { fontWeight: '650' },
});

/** Secondary ("dimmed") text one shade darker than Mantine's default, for WCAG AA contrast on white. */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' },
  dark: {},
});
