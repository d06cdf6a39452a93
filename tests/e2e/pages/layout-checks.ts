import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, type TestInfo } from '@playwright/test';

export const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 375, height: 812 },
] as const;

/** Serious or critical axe violations, as readable lines (an empty list passes). */
export async function expectNoAxeViolations(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map((v) => `${label}: ${v.id} (${v.impact}) ${v.help} - ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`),
  ).toEqual([]);
}

export interface LayoutProblem {
  kind: 'overflow' | 'overlap' | 'page-scrolls-sideways';
  what: string;
}

/**
 * Measures every visible element under `root`: each box must stay inside its parent's box (unless
 * the parent scrolls or clips on purpose), and no two boxes that are not nested may overlap
 * (text-bearing elements, form controls and images). Absolutely positioned decorations (the
 * card brand over the number field) and visually hidden labels are what they are and skipped.
 * The card fields share 1px borders, hence the 1.5px tolerance.
 */
export async function layoutProblems(page: Page, root = 'main'): Promise<LayoutProblem[]> {
  return page.evaluate((rootSelector) => {
    const TOLERANCE = 1.5;
    const problems: { kind: 'overflow' | 'overlap' | 'page-scrolls-sideways'; what: string }[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth) problems.push({ kind: 'page-scrolls-sideways', what: `${doc.scrollWidth} > ${doc.clientWidth}` });
    const rootEl = document.querySelector(rootSelector);
    if (!rootEl) return [{ kind: 'overflow' as const, what: `no ${rootSelector}` }];

    const name = (el: Element) => {
      const testId = el.getAttribute('data-testid');
      const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
      return `${el.tagName.toLowerCase()}${testId ? `[data-testid=${testId}]` : ''}${cls}`;
    };
    const skipped = (el: Element): boolean => {
      for (let e: Element | null = el; e && e !== rootEl.parentElement; e = e.parentElement) {
        const s = getComputedStyle(e);
        if (s.position === 'absolute' || s.position === 'fixed') return true;
        if (s.clip === 'rect(0px, 0px, 0px, 0px)' || s.clipPath === 'inset(50%)') return true;
      }
      return false;
    };
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'contents';
    };

    const all = [rootEl, ...Array.from(rootEl.querySelectorAll('*'))].filter((el) => visible(el) && !skipped(el) && !(el instanceof SVGElement && el.tagName !== 'svg'));
    for (const el of all) {
      const parent = el.parentElement;
      if (!parent || el === rootEl) continue;
      const ps = getComputedStyle(parent);
      if (ps.display === 'inline') continue;
      if (ps.overflowX !== 'visible' && ps.overflowX !== 'clip') continue; // scrolls inside its own box
      const r = el.getBoundingClientRect();
      const p = parent.getBoundingClientRect();
      if (r.left < p.left - TOLERANCE || r.right > p.right + TOLERANCE)
        problems.push({ kind: 'overflow', what: `${name(el)} [${Math.round(r.left)}..${Math.round(r.right)}] outside ${name(parent)} [${Math.round(p.left)}..${Math.round(p.right)}]` });
    }

    // Leaves: elements with their own text, controls and images.
    const leaves = all.filter(
      (el) =>
        ['INPUT', 'BUTTON', 'IMG', 'SELECT', 'TEXTAREA', 'svg'].includes(el.tagName) ||
        Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== ''),
    );
    for (let i = 0; i < leaves.length; i++) {
      for (let j = i + 1; j < leaves.length; j++) {
        const a = leaves[i]!;
        const b = leaves[j]!;
        if (a.contains(b) || b.contains(a)) continue;
        const ra = a.getBoundingClientRect();
        const rb = b.getBoundingClientRect();
        const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (w > TOLERANCE && h > TOLERANCE) problems.push({ kind: 'overlap', what: `${name(a)} overlaps ${name(b)} (${Math.round(w)}x${Math.round(h)})` });
      }
    }
    return problems;
  }, root);
}

export async function expectCleanLayout(page: Page, label: string, root = 'main'): Promise<void> {
  expect(await layoutProblems(page, root), label).toEqual([]);
}

/** A full-page screenshot kept with the test's results (not committed), for a reviewer to look at. */
export async function attachScreenshot(page: Page, info: TestInfo, name: string): Promise<void> {
  const file = info.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await info.attach(name, { path: file, contentType: 'image/png' });
}
