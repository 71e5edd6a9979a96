// What an operator sees in the Temporal Web UI: the run's summary, current details (RFQs and
// quotes) and search attributes, read by headless Chromium from the dev server's UI.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDevServer, type RunningDevServer } from '../../workers/dev-server.ts';
import { oneWayRequest, startStack, waitForProgress, type Stack } from '../integration/stack/harness.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`Chromium not found at ${CHROMIUM}: .ci/run installs it (apt-get install chromium)`);
if (!available) process.stderr.write(`\n[browser tests] SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)\n`);

let server: RunningDevServer;
let stack: Stack;
let browser: Browser;

describe.skipIf(!available)('the Temporal Web UI shows a charter run at a glance', () => {
  beforeAll(async () => {
    server = await startDevServer({ cliPath: inject('temporalCliPath'), uiPort: 0 });
    stack = await startStack({ temporalAddress: server.address });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await server?.stop();
  });

  async function openRun(page: Page, workflowId: string, tab: string) {
    const { runId } = await stack.client.workflow.getHandle(workflowId).describe();
    await page.goto(`${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${runId}/${tab}`);
    await page.getByTestId('workflow-id-heading').waitFor({ timeout: 30_000 });
  }

  it('shows the summary, the quotes in current details and the search attributes of a collecting run', async () => {
    const request = oneWayRequest({ legs: [{ from: 'KTEB', to: 'KPBI', date: '2027-05-14', time: '09:30', pax: 5 }] });
    const trip = await stack.charter.startTrip(request);
    const { rfqIds } = await stack.emulator.admin.sendRfqs(trip.atripId, 2);
    const quoted = await stack.emulator.admin.respond(rfqIds[0]!, { action: 'quote', price: 41_250, currency: 'USD', aircraftTail: 'N123EX' });
    await waitForProgress(stack, request.externalId, (p) => p.quotes.length === 1);

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      await openRun(page, trip.workflowId, 'user-metadata');
      // The UI renders Markdown (summary, details) inside sandboxed iframes: read every frame.
      const text = async () =>
        (await Promise.all(page.frames().map((frame) => frame.locator('body').innerText().catch(() => '')))).join('\n');
      await expect.poll(text, { timeout: 30_000 }).toMatch(/KTEB→KPBI\s·\s14 May 09:30\s·\s5 pax/);
      // Current details come from the running workflow (a query answered by the worker).
      await expect.poll(text, { timeout: 30_000 }).toContain(quoted.quoteId!);
      expect(await text()).toContain('Example Air Charter');
      await page.screenshot({ path: '/tmp/charterflow-ui-user-metadata.png', fullPage: true });

      await openRun(page, trip.workflowId, 'search-attributes');
      await expect.poll(text, { timeout: 30_000 }).toContain('collecting_quotes');
      const body = await text();
      expect(body).toContain(trip.tripId);
      expect(body).toContain(trip.atripId);
      expect(body).toContain('KTEB-KPBI');
      await page.screenshot({ path: '/tmp/charterflow-ui-search-attributes.png', fullPage: true });
    } finally {
      await page.close();
      await stack.charter.cancelTrip(request.externalId, { reason: 'BY_CLIENT' });
    }
  });
});
