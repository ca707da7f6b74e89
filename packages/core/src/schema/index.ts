export * from './column-type';
export * from './dataset-schema-props';
export * from './dataset-schema';
export * from './calendar-date';
