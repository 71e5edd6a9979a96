// Webhook settings (avinode-api.md §9): one setting per event type, targetURI per event type.
import { z } from 'zod';
import type { WebhookEventType } from '../../workflows/contract.ts';
import type { AvinodeHttp, CallOptions } from './http.ts';
import { avinodeRoute } from './routes.ts';
import { WebhookSetting } from './schemas.ts';

export interface WebhookSettingInput {
  targetURI: string;
  displayName: string;
  active: boolean;
  eventTypes: WebhookEventType[] | string[];
  /** Avinode authenticates to our receiver with these (HTTP Basic). */
  clientIdentifier?: string;
  clientSecret?: string;
  clientAuthenticationType?: 'BASIC';
}

export async function listWebhookSettings(http: AvinodeHttp, options: CallOptions = {}): Promise<WebhookSetting[]> {
  const { data } = await http.call({
    ...options,
    ...avinodeRoute('listWebhookSettings'),
    schema: z.array(WebhookSetting),
    softErrors: 'warn',
  });
  return data;
}

export async function createWebhookSetting(
  http: AvinodeHttp,
  setting: WebhookSettingInput,
  options: CallOptions = {},
): Promise<WebhookSetting> {
  const { data } = await http.call({
    ...options,
    ...avinodeRoute('createWebhookSetting'),
    body: setting,
    schema: WebhookSetting,
    softErrors: 'fail',
  });
  return data;
}

export async function updateWebhookSetting(
  http: AvinodeHttp,
  id: string,
  setting: Partial<WebhookSettingInput>,
  options: CallOptions = {},
): Promise<WebhookSetting> {
  const { data } = await http.call({
    ...options,
    ...avinodeRoute('updateWebhookSetting'),
    params: { id },
    body: setting,
    schema: WebhookSetting,
    softErrors: 'fail',
  });
  return data;
}
