/**
 * The rendering benchmark (`python -m bench render` runs it, with ./playwright.config.js):
 * one large folder opened and scrolled to its end in Airlock's panel on the bucket, in
 * Airlock's panel on the same files in a mounted folder, and in JupyterLab's own file
 * browser on that folder.
 *
 * Everything is measured in the page: the time from the user's click on the folder to its
 * first file being visible, from the start of scrolling to its last file being visible, and
 * the largest number of row elements in the DOM at any time (a MutationObserver counts them
 * after every DOM change that adds rows). Nothing here asserts a time: the figures go to
 * the JSON file that the benchmark reads, which judges them.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { APIRequestContext, Request } from '@playwright/test';
import * as fs from 'fs';

/**
 * What the benchmark passes in AIRLOCK_BENCH (JSON).
 */
interface IParameters {
  /**
   * How many files the folder holds.
   */
  count: number;
  /**
   * How many times each Airlock view opens the folder before scrolling to its end
   * (JupyterLab's file browser opens it once).
   */
  rounds: number;
  /**
   * The folder's name, in the bucket's root and in `mounted`.
   */
  folder: string;
  /**
   * The folder of the Jupyter root that the folder profile reads.
   */
  mounted: string;
  first: string;
  last: string;
  profiles: { s3: string; folder: string };
  /**
   * Where the figures go.
   */
  output: string;
}

/**
 * What the probe counted.
 */
interface ICounts {
  /**
   * The most row elements in the DOM at any time.
   */
  maxRows: number;
  /**
   * How many entries the view knows.
   */
  listed: number;
  /**
   * How many DOM changes the MutationObserver saw.
   */
  changes: number;
}

interface IProbeOptions {
  /**
   * The class of a row element.
   */
  rowClass: string;
  /**
   * The element that scrolls the rows.
   */
  scroller: string;
  first: string;
  last: string;
}

const parameters: IParameters = JSON.parse(process.env.AIRLOCK_BENCH ?? '{}');
const PANEL_ID = 'jp-airlock-panel';
// Opening a 100,000-file folder in JupyterLab's file browser takes a while.
const OPEN_TIMEOUT = 10 * 60 * 1000;
const SCROLL_TIMEOUT = 25 * 60 * 1000;

// The profile is chosen before JupyterLab loads.
test.use({ autoGoto: false });

test.beforeAll(() => {
  expect(
    parameters.output,
    'AIRLOCK_BENCH is unset: run `python -m bench render`'
  ).toBeTruthy();
});

test('Airlock panel on the bucket', async ({ page, request }) => {
  await useProfile(request, parameters.profiles.s3);
  track(page);
  await page.goto();
  await measureAirlock(page, new Figures('airlock-s3'));
});

test('Airlock panel on the mounted folder', async ({ page, request }) => {
  await useProfile(request, parameters.profiles.folder);
  try {
    track(page);
    await page.goto();
    await measureAirlock(page, new Figures('airlock-folder'));
  } finally {
    await useProfile(request, parameters.profiles.s3);
  }
});

test('JupyterLab file browser on the mounted folder', async ({ page }) => {
  const figures = new Figures('filebrowser');
  track(page);
  await page.goto();
  await installProbe(page, {
    rowClass: 'jp-DirListing-item',
    scroller: '#filebrowser .jp-DirListing-content',
    first: parameters.first,
    last: parameters.last
  });
  await page.sidebar.openTab('filebrowser');
  // Into the mounted folder: its one entry is the folder.
  expect(await page.filebrowser.openDirectory(parameters.mounted)).toBe(true);
  const item = page
    .getByRole('region', { name: 'File Browser Section' })
    .getByRole('listitem', { name: new RegExp(`^Name: ${parameters.folder}`) });
  await item.waitFor();
  // Once: it takes minutes with 100,000 files, and as long again to leave them.
  figures.opens.push(await open(page, () => item.dblclick(), 'dblclick'));
  await figures.save(page);
  figures.scroll = await scrollToEnd(page);
  await figures.save(page, true);
});

async function measureAirlock(
  page: IJupyterLabPageFixture,
  figures: Figures
): Promise<void> {
  await installProbe(page, {
    rowClass: 'jp-Airlock-artifactRow',
    scroller: `#${PANEL_ID} .jp-Airlock-artifactList`,
    first: parameters.first,
    last: parameters.last
  });
  await page.sidebar.openTab(PANEL_ID);
  const panel = page.locator(`#${PANEL_ID}`);
  const folder = panel
    .getByTestId('airlock-artifact-row')
    .filter({ hasText: `${parameters.folder}/` });
  const root = panel
    .getByRole('navigation', { name: 'Folder' })
    .getByRole('button', { name: 'root', exact: true });
  for (let round = 0; round < parameters.rounds; round++) {
    if (round > 0) {
      await root.click();
    }
    await folder.waitFor({ timeout: OPEN_TIMEOUT });
    figures.opens.push(await open(page, () => folder.click(), 'click'));
    await figures.save(page);
  }
  try {
    figures.scroll = await scrollToEnd(page);
  } catch (error) {
    const problem = panel.getByRole('alert');
    const shown = (await problem.count())
      ? await problem.first().textContent()
      : 'no error shown';
    throw new Error(`${error}\nThe panel: ${shown}`);
  }
  await figures.save(page, true);
}

/**
 * What one view measured so far, saved after each step: a view that runs out of time
 * still leaves what it measured.
 */
class Figures {
  constructor(readonly view: string) {}

  /**
   * Milliseconds from the click on the folder to its first file visible, each time.
   */
  opens: number[] = [];

  /**
   * Milliseconds from the start of scrolling to the last file visible.
   */
  scroll: number | null = null;

  /**
   * Add the probe's counts and write the figures to the output file; `end` stops the
   * probe.
   */
  async save(page: IJupyterLabPageFixture, end = false): Promise<void> {
    const counts: ICounts = await page.evaluate(
      stop => (window as any).airlockBench.counts(stop),
      end
    );
    const all = fs.existsSync(parameters.output)
      ? JSON.parse(fs.readFileSync(parameters.output, 'utf-8'))
      : {};
    all[this.view] = { opens: this.opens, scroll: this.scroll, ...counts };
    fs.writeFileSync(parameters.output, JSON.stringify(all, null, 2));
  }
}

/**
 * Choose the active Airlock profile through the REST API.
 */
async function useProfile(
  request: APIRequestContext,
  name: string
): Promise<void> {
  const response = await request.post('airlock/profiles/apply', {
    data: { name }
  });
  expect(response.ok(), await response.text()).toBe(true);
}

/**
 * Follow the views' requests (Airlock's, and the contents the file browser lists) from
 * before the page loads, so that `settled` can wait for them.
 */
function track(page: IJupyterLabPageFixture): void {
  const state = { pending: new Set<Request>(), since: Date.now() };
  const done = (request: Request) => {
    if (state.pending.delete(request)) {
      state.since = Date.now();
    }
  };
  page.on('request', request => {
    if (WATCHED.test(request.url())) {
      state.pending.add(request);
    }
  });
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  trackers.set(page, state);
}

/**
 * Wait until the views' requests have all been answered for a moment, as when a user
 * clicks in a panel that has finished loading: what the panel asks on its own as it opens
 * (its connectivity check takes a second) is not the folder's time.
 */
async function settled(page: IJupyterLabPageFixture): Promise<void> {
  const state = trackers.get(page)!;
  const deadline = Date.now() + OPEN_TIMEOUT;
  while (state.pending.size > 0 || Date.now() - state.since < QUIET) {
    if (Date.now() > deadline) {
      const urls = [...state.pending].map(request => request.url());
      throw new Error(`requests still unanswered: ${urls.join(', ')}`);
    }
    await page.waitForTimeout(50);
  }
}

const WATCHED = /\/(airlock\/|api\/contents[/?])/;
const QUIET = 500; // ms
const trackers = new WeakMap<
  IJupyterLabPageFixture,
  { pending: Set<Request>; since: number }
>();

/**
 * Do what opens the folder (the `trigger` event is its start) and return the milliseconds
 * until its first file is visible.
 */
async function open(
  page: IJupyterLabPageFixture,
  action: () => Promise<void>,
  trigger: string
): Promise<number> {
  await settled(page);
  await page.evaluate(type => (window as any).airlockBench.arm(type), trigger);
  await action();
  await page.waitForFunction(
    () => (window as any).airlockBench.probe.first !== null,
    undefined,
    { timeout: OPEN_TIMEOUT, polling: 100 }
  );
  return page.evaluate(() => {
    const probe = (window as any).airlockBench.probe;
    return probe.first - probe.start;
  });
}

/**
 * Scroll to the bottom of the list at every frame, as a user dragging the scroll bar down
 * would, until the last file is visible; return how many milliseconds that took.
 */
async function scrollToEnd(page: IJupyterLabPageFixture): Promise<number> {
  await page.evaluate(() => (window as any).airlockBench.scroll());
  await page.waitForFunction(
    () => (window as any).airlockBench.probe.last !== null,
    undefined,
    { timeout: SCROLL_TIMEOUT, polling: 500 }
  );
  return page.evaluate(() => {
    const probe = (window as any).airlockBench.probe;
    return probe.last - probe.scrollStart;
  });
}

/**
 * Watch the page from now on: the most rows in the DOM (after every DOM change that adds
 * rows), and at which frame the first and the last file are visible.
 */
async function installProbe(
  page: IJupyterLabPageFixture,
  options: IProbeOptions
): Promise<void> {
  await page.evaluate(({ rowClass, scroller, first, last }) => {
    const rows = document.getElementsByClassName(rowClass); // live
    const probe = {
      start: null as number | null,
      first: null as number | null,
      last: null as number | null,
      scrollStart: null as number | null,
      maxRows: 0,
      changes: 0,
      stopped: false
    };
    const count = () => {
      probe.maxRows = Math.max(probe.maxRows, rows.length);
    };
    // Only added rows can raise the count: it is taken again after every DOM change that
    // adds one, not after every change: counting walks the whole DOM, and the file browser
    // makes a DOM change per entry (its icon), which would make counting take minutes.
    const addsRows = (records: MutationRecord[]): boolean =>
      records.some(record =>
        Array.from(record.addedNodes).some(
          node =>
            node instanceof Element &&
            (node.classList.contains(rowClass) ||
              node.getElementsByClassName(rowClass).length > 0)
        )
      );
    const observer = new MutationObserver(records => {
      probe.changes += 1;
      if (addsRows(records)) {
        count();
      }
    });
    observer.observe(document.body, { childList: true, subtree: true });

    // A row is visible when at least half of it shows in its scroller and the window.
    const visible = (row: Element): boolean => {
      const box = row.getBoundingClientRect();
      const view = row.closest(scroller)?.getBoundingClientRect();
      if (box.height === 0 || !view) {
        return false;
      }
      const top = Math.max(box.top, view.top, 0);
      const bottom = Math.min(box.bottom, view.bottom, window.innerHeight);
      return bottom - top >= box.height / 2;
    };
    // Rows are in name order, children of their scroller (with no other rows): the first
    // file is near the start, the last among the scroller's last children. Neither search
    // asks the live list for its length, which walks the whole DOM after any change.
    const find = (name: string, fromEnd: boolean): Element | null => {
      if (fromEnd) {
        let row = document.querySelector(scroller)?.lastElementChild ?? null;
        for (let seen = 0; row && seen < 500; seen++) {
          if (
            row.classList.contains(rowClass) &&
            row.textContent?.includes(name)
          ) {
            return row;
          }
          row = row.previousElementSibling;
        }
        return null;
      }
      for (let index = 0; rows[index]; index++) {
        if (rows[index].textContent?.includes(name)) {
          return rows[index];
        }
      }
      return null;
    };
    const shown = (name: string, fromEnd: boolean): boolean => {
      const row = find(name, fromEnd);
      return row !== null && visible(row);
    };

    const frame = () => {
      if (probe.stopped) {
        return;
      }
      const now = performance.now();
      if (probe.start !== null && probe.first === null && shown(first, false)) {
        probe.first = now;
      }
      if (probe.scrollStart !== null && probe.last === null) {
        if (shown(last, true)) {
          probe.last = now;
        } else {
          const element = document.querySelector(scroller);
          if (element) {
            element.scrollTop = element.scrollHeight;
          }
        }
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);

    let armed: ((event: Event) => void) | null = null;
    (window as any).airlockBench = {
      probe,
      // The next `type` event (the user's click) starts the clock.
      arm: (type: string) => {
        probe.start = probe.first = probe.last = probe.scrollStart = null;
        armed = (event: Event) => {
          probe.start = event.timeStamp;
          document.removeEventListener(type, armed!, true);
        };
        document.addEventListener(type, armed, true);
      },
      scroll: () => {
        probe.scrollStart = performance.now();
      },
      counts: (stop: boolean) => {
        if (stop) {
          probe.stopped = true;
          observer.disconnect();
        }
        count();
        const end = rows[rows.length - 1];
        return {
          maxRows: probe.maxRows,
          // Airlock's virtual list says how long it is; the file browser has every row.
          listed: Number(end?.getAttribute('aria-setsize') ?? rows.length),
          changes: probe.changes
        };
      }
    };
  }, options);
}
