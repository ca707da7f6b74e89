import * as path from 'path';
import { ColumnType, DatasetSchema } from '@freshet/core';

/**
 * The sample data sets (`stocks_all.csv`, `pollution.jsonl`, ...), beside the
 * repository as CI and the developer machines keep them.
 */
export const SAMPLE_DATA_DIR = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data');

/** The seeds' stocks ticks: a regression on price. */
export function stocksSchema(): DatasetSchema {
  return new DatasetSchema({
    name: 'stocks',
    description: 'Stock ticks streamed by the ticker feed and uploaded as CSV',
    columns: [
      { name: 'ticker_symbol', type: ColumnType.STRING, description: 'Exchange ticker' },
      { name: 'sector', type: ColumnType.STRING, description: 'Industry sector' },
      { name: 'change', type: ColumnType.DOUBLE, description: 'Price change since the previous tick' },
      { name: 'price', type: ColumnType.DOUBLE, description: 'Price at the tick' },
    ],
    targetColumn: 'price',
  });
}

/**
 * The IoT example's air-quality readings: an ozone forecast per device. No
 * idColumn: a device sends many readings, and the ETL de-duplicates on idColumn.
 */
export function pollutionSchema(): DatasetSchema {
  return new DatasetSchema({
    name: 'pollution',
    description: 'Hourly air-quality readings published by devices over MQTT',
    columns: [
      { name: 'device_id', type: ColumnType.STRING, description: 'The device that measured' },
      { name: 'ozone', type: ColumnType.DOUBLE, description: 'Ozone, the forecast target' },
      { name: 'particullate_matter', type: ColumnType.DOUBLE, description: 'Particulate matter' },
      { name: 'carbon_monoxide', type: ColumnType.DOUBLE, description: 'Carbon monoxide' },
      { name: 'sulfure_dioxide', type: ColumnType.DOUBLE, description: 'Sulfur dioxide' },
      { name: 'nitrogen_dioxide', type: ColumnType.DOUBLE, description: 'Nitrogen dioxide' },
      { name: 'longitude', type: ColumnType.DOUBLE, description: 'Device longitude' },
      { name: 'latitude', type: ColumnType.DOUBLE, description: 'Device latitude' },
      { name: 'timestamp', type: ColumnType.TIMESTAMP, description: 'When the reading was taken (UTC)' },
    ],
    targetColumn: 'ozone',
    eventTimeColumn: 'timestamp',
  });
}
