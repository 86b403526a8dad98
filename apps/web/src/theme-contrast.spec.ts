import { describe, expect, it } from '@jest/globals';
import { DEFAULT_THEME } from '@mantine/core';
import { contrastRatio, minimumTextContrast, readableColorVariables } from './theme-contrast';

describe('contrastRatio', () => {
  it('follows WCAG 2: black on white is 21:1, a colour on itself 1:1, in either order', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#ffffff', '#000000')).toBeCloseTo(21, 5);
    expect(contrastRatio('#0ca678', '#0ca678')).toBeCloseTo(1, 5);
    // Mantine's teal 7 under white text, the pair that failed AA before.
    expect(contrastRatio('#ffffff', '#0ca678')).toBeCloseTo(3.12, 1);
  });
});

describe('readableColorVariables', () => {
  const palettes = Object.entries(DEFAULT_THEME.colors).filter(([name]) => name !== 'dark');

  it.each(palettes)('makes every %s variant readable at 4.5:1', (name, palette) => {
    const variables = readableColorVariables(name, palette);
    const white = '#ffffff';
    expect(contrastRatio(white, variables[`--mantine-color-${name}-filled`]!)).toBeGreaterThanOrEqual(
      minimumTextContrast,
    );
    expect(contrastRatio(white, variables[`--mantine-color-${name}-filled-hover`]!)).toBeGreaterThanOrEqual(
      minimumTextContrast,
    );
    expect(contrastRatio(white, variables[`--mantine-color-${name}-outline`]!)).toBeGreaterThanOrEqual(
      minimumTextContrast,
    );
    for (const background of [palette[1], palette[2]]) {
      expect(
        contrastRatio(variables[`--mantine-color-${name}-light-color`]!, background),
      ).toBeGreaterThanOrEqual(minimumTextContrast);
    }
  });

  it('keeps Mantine’s own shade where it already passes (indigo 7, the primary colour)', () => {
    expect(
      readableColorVariables('indigo', DEFAULT_THEME.colors.indigo)['--mantine-color-indigo-filled'],
    ).toBe(DEFAULT_THEME.colors.indigo[7]);
  });
});
