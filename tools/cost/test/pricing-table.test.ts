import * as fs from 'fs';
import * as path from 'path';
import { loadPricingTable } from '../src/pricing-table';

describe('the committed pricing table', () => {
  const table = loadPricingTable('us-east-1');

  test('every price has a source page, the date it was read and how it was confirmed', () => {
    for (const [key, price] of Object.entries(table.prices)) {
      expect([key, price.source]).toEqual([key, expect.stringMatching(/^https:\/\//)]);
      expect([key, price.read]).toEqual([key, expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/)]);
      expect(['aws', 'secondary', 'unconfirmed']).toContain(price.confirmed);
      expect(price.usd).toBeGreaterThan(0);
    }
    expect(table.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  test('every fixed price key a pricer asks for is in the table', () => {
    const dir = path.join(__dirname, '..', 'src', 'pricers');
    const keys = new Set<string>();
    for (const file of fs.readdirSync(dir)) {
      for (const match of fs.readFileSync(path.join(dir, file), 'utf8').matchAll(/price\(context, '([^']+)'\)/g)) keys.add(match[1]);
    }
    expect(keys.size).toBeGreaterThan(40);
    expect([...keys].filter((k) => !table.prices[k])).toEqual([]);
  });
});
