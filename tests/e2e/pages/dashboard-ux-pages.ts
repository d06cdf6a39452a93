import { expect, type Page, type TestInfo } from '@playwright/test';

export const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 375, height: 812 },
] as const;

export interface LayoutProblem {
  kind: 'overflow' | 'overlap' | 'page-scroll';
  what: string;
}

/**
 * Measures the laid-out page with bounding boxes:
 * - overflow: an element inside a dashboard card sticks out of the card, unless it sits in a box
 *   that scrolls horizontally on its own (overflow-x auto/scroll);
 * - overlap: two visible block-level siblings inside `main` cover each other by more than 1 px;
 * - page-scroll: the page itself scrolls sideways.
 */
export async function layoutProblems(page: Page): Promise<LayoutProblem[]> {
  return page.evaluate(() => {
    const problems: { kind: 'overflow' | 'overlap' | 'page-scroll'; what: string }[] = [];
    const describe = (el: Element) => {
      const id = el.getAttribute('data-testid') ?? el.id;
      const text = (el.textContent ?? '').trim().slice(0, 40);
      return `${el.tagName.toLowerCase()}${id ? `[${id}]` : ''} "${text}"`;
    };
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
    };
    const scrolls = (el: Element) => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
    const scrollsOnItsOwn = (el: Element, stop: Element) => {
      for (let p = el.parentElement; p && p !== stop; p = p.parentElement) if (scrolls(p)) return true;
      return false;
    };
    const doc = document.documentElement;
    if (doc.scrollWidth - doc.clientWidth > 1)
      problems.push({ kind: 'page-scroll', what: `${doc.scrollWidth} > ${doc.clientWidth}` });
    const main = document.querySelector('main');
    if (!main) return problems;
    const mainBox = main.getBoundingClientRect();
    const containers = [main, ...main.querySelectorAll('section, form, figure, dl, table, [role=region]')];
    for (const container of containers) {
      // a box that scrolls sideways on its own may hold wider content (that is the point of it)
      if (!visible(container) || scrolls(container)) continue;
      const box = container.getBoundingClientRect();
      const bounds = container === main ? mainBox : box;
      for (const el of container.querySelectorAll('*')) {
        if (!visible(el) || el.closest('.visually-hidden') || (el.closest('svg') !== null && el.tagName.toLowerCase() !== 'svg'))
          continue;
        if (scrollsOnItsOwn(el, container)) continue;
        const r = el.getBoundingClientRect();
        if (r.left < bounds.left - 1 || r.right > bounds.right + 1) {
          problems.push({
            kind: 'overflow',
            what: `${describe(el)} leaves ${describe(container)} (${Math.round(r.left)}..${Math.round(r.right)} vs ${Math.round(bounds.left)}..${Math.round(bounds.right)})`,
          });
        }
      }
    }
    const blockLike = (el: Element) =>
      !getComputedStyle(el).display.startsWith('inline') ||
      getComputedStyle(el).display === 'inline-block' ||
      getComputedStyle(el).display === 'inline-flex';
    for (const parent of [main, ...main.querySelectorAll('*')]) {
      if (parent.closest('svg') || parent.closest('.recharts-wrapper') || parent.closest('.visually-hidden')) continue;
      const kids = [...parent.children].filter((k) => visible(k) && blockLike(k) && getComputedStyle(k).position !== 'absolute');
      for (let i = 0; i < kids.length; i++) {
        for (let j = i + 1; j < kids.length; j++) {
          const a = kids[i]!.getBoundingClientRect();
          const b = kids[j]!.getBoundingClientRect();
          const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
          const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
          if (w > 1 && h > 1) problems.push({ kind: 'overlap', what: `${describe(kids[i]!)} overlaps ${describe(kids[j]!)}` });
        }
      }
    }
    return problems.slice(0, 20);
  });
}

/** A full-page screenshot kept as a test artifact (in the run's output folder, attached to the report). */
export async function attachScreenshot(page: Page, info: TestInfo, name: string): Promise<void> {
  const file = info.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await info.attach(name, { path: file, contentType: 'image/png' });
}

/** The dashboard's navigation, collapsed into a menu on a phone. */
export class DashboardNav {
  constructor(private readonly page: Page) {}

  readonly toggle = () => this.page.getByTestId('nav-toggle');

  /** Opens the menu when it is collapsed (on a phone), then follows the link. */
  async go(label: string): Promise<void> {
    const nav = this.page.getByRole('navigation', { name: 'Dashboard' });
    if (await this.toggle().isVisible()) {
      if ((await this.toggle().getAttribute('aria-expanded')) !== 'true') await this.toggle().click();
    }
    await nav.getByRole('link', { name: label, exact: true }).click();
  }
}

/** Axis tick and label texts of a chart figure (recharts draws them as SVG text). */
export async function chartTexts(page: Page, testId: string): Promise<{ ticks: string[]; labels: string[] }> {
  const figure = page.getByTestId(testId);
  // drawn after hydration, once the container has measured its width
  await expect(figure.locator('.recharts-label').first()).toBeVisible();
  return {
    ticks: await figure.locator('.recharts-cartesian-axis-tick-value').allTextContents(),
    labels: await figure.locator('.recharts-label').allTextContents(),
  };
}
