import {
  createTheme,
  type CSSVariablesResolver,
  Modal,
  ModalHeader,
  Notification,
  TableScrollContainer,
} from '@mantine/core';
import { readableColorVariables } from './theme-contrast';

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
  components: {
    // Mantine's close buttons are an icon only: give them a name screen readers can say.
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close dialog' } } }),
    // A dialog's header is a `<header>`, which screen readers would list as a second page banner
    // next to the page's own; it is only the dialog's title row.
    ModalHeader: ModalHeader.extend({ defaultProps: { role: 'none' } }),
    Notification: Notification.extend({
      defaultProps: { closeButtonProps: { 'aria-label': 'Close notification' } },
      // Mantine writes the text under a notification's title in grey 6 (3.3:1 on white).
      styles: { description: { color: 'var(--mantine-color-dimmed)' } },
    }),
    // A table wider than a phone scrolls sideways: the scrolling area takes the keyboard focus
    // (with the focus ring), so it can be scrolled with the arrow keys.
    TableScrollContainer: TableScrollContainer.extend({
      defaultProps: { scrollAreaProps: { viewportProps: { tabIndex: 0, className: 'mantine-focus-auto' } } },
    }),
  },
});

/**
 * Light colour scheme adjusted for WCAG AA contrast: secondary ("dimmed") text one shade darker than
 * Mantine's default, and every palette's filled, outline, text and light variants readable
 * (see `readableColorVariables`).
 */
export const cssVariablesResolver: CSSVariablesResolver = (resolved) => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    ...Object.assign(
      {},
      ...Object.entries(resolved.colors)
        .filter(([name]) => name !== 'dark')
        .map(([name, palette]) => readableColorVariables(name, palette)),
    ),
  },
  dark: {},
});
