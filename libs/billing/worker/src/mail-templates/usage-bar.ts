import { html, type SafeHtml } from './mail-renderer';

/** Whole percent of `limit` that `used` is (rounded down, so "100 %" means the limit is reached). */
export function usagePercent(used: number, limit: number): number {
  if (limit <= 0) return used > 0 ? 100 : 0;
  return Math.floor((used * 100) / limit);
}

/** `[████████░░] 80 %`: ten cells, each a tenth of the limit (rounded down); full beyond 100 %. */
export function usageBarText(percent: number, cells = 10): string {
  const filled = Math.min(cells, Math.max(0, Math.floor((percent * cells) / 100)));
  return `[${'█'.repeat(filled)}${'░'.repeat(cells - filled)}] ${percent} %`;
}

function barColor(percent: number): string {
  if (percent >= 100) return '#c62828';
  if (percent >= 80) return '#ef8f00';
  return '#2e7d32';
}

/** The same bar for HTML mail clients: a one-row table (tables render everywhere, divs do not). */
export function usageBarHtml(percent: number): SafeHtml {
  const filled = Math.min(100, Math.max(0, percent));
  const color = barColor(percent);
  const filledCell =
    filled > 0
      ? html`<td width="${filled}%" style="background:${color};height:14px;font-size:0;line-height:0">
          &nbsp;
        </td>`
      : '';
  const emptyCell =
    filled < 100
      ? html`<td width="${100 - filled}%" style="background:#e6e8eb;height:14px;font-size:0;line-height:0">
          &nbsp;
        </td>`
      : '';
  return html`<table
      role="presentation"
      width="100%"
      cellpadding="0"
      cellspacing="0"
      style="border-collapse:collapse;border-radius:7px;overflow:hidden;margin:12px 0 4px"
    >
      <tr>
        ${filledCell}${emptyCell}
      </tr>
    </table>
    <p style="margin:0 0 16px;color:#555;font-size:13px">${percent} % used</p>`;
}
