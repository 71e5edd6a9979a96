import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../emulator/index.ts';
import { FailureType } from '../../../workflows/contract.ts';
import { admin, clientFor, futureDate, tokenSourceFor, type AuthMethod, type Emulator } from './helpers.ts';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator?.close();
});

const METHODS: AuthMethod[] = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt'];

describe('each Avinode client auth method', () => {
  for (const method of METHODS) {
    it(`creates and reads a trip with ${method}`, async () => {
      await admin(emulator, 'PUT', '/_emulator/credentials', { authMethod: method });
      const client = clientFor(emulator, tokenSourceFor(emulator, method));
      try {
        const created = await client.createTrip(
          { legs: [{ from: 'KTEB', to: 'KPBI', date: futureDate(), pax: 2 }] },
          `auth-${method}`,
        );
        expect((await client.readTrip(created.atripId)).trip.id).toBe(created.atripId);
      } finally {
        await client.close();
      }
    });

    it(`is rejected with a method other than the registered ${method}`, async () => {
      await admin(emulator, 'PUT', '/_emulator/credentials', { authMethod: method });
      const other = METHODS.find((m) => m !== method)!;
      const client = clientFor(emulator, tokenSourceFor(emulator, other));
      try {
        const error = await client.readTrip('atrip-1').catch((e: unknown) => e);
        expect((error as { type?: string }).type).toBe(FailureType.TokenEndpointRejected);
      } finally {
        await client.close();
      }
    });
  }
});
