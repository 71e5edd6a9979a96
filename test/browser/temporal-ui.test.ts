// What an operator sees in the Temporal Web UI: the run's summary, current details (RFQs and
// quotes) and search attributes, read by headless Chromium from the dev server's UI.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startCodecServer, uiOrigins, type RunningCodecServer } from '../../workers/codec-server.ts';
import { findFreePort, startDevServer, type RunningDevServer } from '../../workers/dev-server.ts';
import { payloadCodecsFor } from '../../platform/payload-codec.ts';
import { historyText, oneWayRequest, startStack, waitForProgress, type Stack } from '../integration/stack/harness.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI)
  throw new Error(`Chromium not found at ${CHROMIUM}: .ci/run installs it (apt-get install chromium)`);
if (!available)
  process.stderr.write(
    `\n[browser tests] SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)\n`,
  );

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
    const quoted = await stack.emulator.admin.respond(rfqIds[0]!, {
      action: 'quote',
      price: 41_250,
      currency: 'USD',
      aircraftTail: 'N123EX',
    });
    await waitForProgress(stack, request.externalId, (p) => p.quotes.length === 1);

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      await openRun(page, trip.workflowId, 'user-metadata');
      // The UI renders Markdown (summary, details) inside sandboxed iframes: read every frame.
      const text = async () =>
        (
          await Promise.all(
            page.frames().map((frame) =>
              frame
                .locator('body')
                .innerText()
                .catch(() => ''),
            ),
          )
        ).join('\n');
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

describe.skipIf(!available)('the Temporal Web UI with payload encryption on', () => {
  const KEY = randomBytes(32);
  let encryptedServer: RunningDevServer;
  let codecServer: RunningCodecServer;
  let encryptedStack: Stack;
  let uiBrowser: Browser;

  beforeAll(async () => {
    // As `charterflow start` does it: the codec endpoint first, then the UI that calls it.
    const uiPort = await findFreePort();
    const [codec] = payloadCodecsFor({ current: { keyId: 'ui-test', key: KEY }, previous: [] });
    codecServer = await startCodecServer({ codec: codec!, allowedOrigins: uiOrigins(uiPort), port: 0 });
    encryptedServer = await startDevServer({
      cliPath: inject('temporalCliPath'),
      uiPort,
      codecEndpoint: codecServer.endpoint,
    });
    encryptedStack = await startStack({
      temporalAddress: encryptedServer.address,
      env: { PAYLOAD_ENCRYPTION_KEY: KEY.toString('base64'), PAYLOAD_ENCRYPTION_KEY_ID: 'ui-test' },
    });
    uiBrowser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });
  afterAll(async () => {
    await uiBrowser?.close();
    await encryptedStack?.close();
    await encryptedServer?.stop();
    await codecServer?.close();
  });

  it('still reads at a glance: the browser decrypts summary and details through the codec endpoint', async () => {
    const request = oneWayRequest({ legs: [{ from: 'KHPN', to: 'KAPF', date: '2027-06-03', time: '14:15', pax: 3 }] });
    const trip = await encryptedStack.charter.startTrip(request);
    const { rfqIds } = await encryptedStack.emulator.admin.sendRfqs(trip.atripId, 2);
    const quoted = await encryptedStack.emulator.admin.respond(rfqIds[0]!, {
      action: 'quote',
      price: 23_900,
      currency: 'USD',
    });
    await waitForProgress(encryptedStack, request.externalId, (p) => p.quotes.length === 1);
    // Temporal itself holds only ciphertext.
    expect(await historyText(encryptedStack, request.externalId)).not.toMatch(/KHPN→KAPF/);

    const page = await uiBrowser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      const { runId } = await encryptedStack.client.workflow.getHandle(trip.workflowId).describe();
      await page.goto(
        `${encryptedServer.uiUrl}/namespaces/default/workflows/${encodeURIComponent(trip.workflowId)}/${runId}/user-metadata`,
      );
      await page.getByTestId('workflow-id-heading').waitFor({ timeout: 30_000 });
      const text = async () =>
        (
          await Promise.all(
            page.frames().map((frame) =>
              frame
                .locator('body')
                .innerText()
                .catch(() => ''),
            ),
          )
        ).join('\n');
      await expect.poll(text, { timeout: 30_000 }).toMatch(/KHPN→KAPF\s·\s3 Jun 14:15\s·\s3 pax/);
      await expect.poll(text, { timeout: 30_000 }).toContain(quoted.quoteId!);
      await page.screenshot({ path: '/tmp/charterflow-ui-encrypted.png', fullPage: true });
    } finally {
      await page.close();
      await encryptedStack.charter.cancelTrip(request.externalId, { reason: 'BY_CLIENT' });
    }
  });
});
