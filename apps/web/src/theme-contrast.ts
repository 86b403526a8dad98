import { darken, luminance, type MantineColorsTuple } from '@mantine/core';

/** WCAG 2 AA for normal-size text; badges and buttons use small text, so this is the bar everywhere. */
export const minimumTextContrast = 4.5;
/** A little above the bar, so rounding in a browser's colour maths never lands below it. */
const targetContrast = minimumTextContrast + 0.1;

/** WCAG 2 contrast ratio of two CSS colours (hex or rgb), from 1 to 21. */
export function contrastRatio(first: string, second: string): number {
  const [lighter, darker] = [luminance(first), luminance(second)].sort((a, b) => b - a) as [number, number];
  return (lighter + 0.05) / (darker + 0.05);
}

/** `color`, darkened in small steps until it reaches the target contrast against `background`. */
export function darkenForContrast(color: string, background: string): string {
  for (let amount = 0; amount <= 1; amount += 0.05) {
    const candidate = amount === 0 ? color : darken(color, amount);
    if (contrastRatio(candidate, background) >= targetContrast) return candidate;
  }
  return darken(color, 1);
}

/**
 * The light colour scheme's variant variables for one palette, made AA-readable: Mantine fills
 * badges and buttons with the primary shade (7 here) under white text and writes light variants in
 * shade 9 on shades 1–2, which is below 4.5:1 for teal, green, orange, yellow, red, cyan and lime.
 * Filled, outline and coloured text use the first of shades 7–9 readable on white (darkened
 * further where none is); light variants use shade 9, darkened until readable on shade 2 (the
 * hover background, darker than the resting shade 1).
 */
export function readableColorVariables(name: string, palette: MantineColorsTuple): Record<string, string> {
  const white = '#ffffff';
  const strong =
    [palette[7], palette[8], palette[9]].find((shade) => contrastRatio(shade, white) >= targetContrast) ??
    darkenForContrast(palette[9], white);
  return {
    [`--mantine-color-${name}-filled`]: strong,
    [`--mantine-color-${name}-filled-hover`]: darken(strong, 0.12),
    [`--mantine-color-${name}-text`]: strong,
    [`--mantine-color-${name}-outline`]: strong,
    [`--mantine-color-${name}-light-color`]: darkenForContrast(palette[9], palette[2]),
  };
}
