import { describe, expect, it } from 'vitest';
import { TRIP_LIST_COLUMNS, TRIP_LIST_QUERY, tripListUrl } from '../../workers/web-ui.ts';
import { SearchAttributes } from '../../workflows/contract.ts';

describe('the Web UI link to the trip list', () => {
  it('opens the namespace workflow list filtered to charter trips, the query intact after URL decoding', () => {
    const url = new URL(tripListUrl('http://127.0.0.1:8233/', 'default'));
    expect(url.pathname).toBe('/namespaces/default/workflows');
    expect(url.searchParams.get('query')).toBe("WorkflowType = 'charterTripWorkflow'");
    expect(TRIP_LIST_QUERY).not.toContain('avinodeEventWorkflow');
  });

  it('suggests only columns that are registered search attributes', () => {
    const registered = Object.values(SearchAttributes).map((key) => key.name);
    for (const column of TRIP_LIST_COLUMNS) expect(registered).toContain(column);
  });
});
