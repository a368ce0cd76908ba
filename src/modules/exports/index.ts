export { ExportsService } from './service';
export type { MovementRow, ReportRow } from './service';
export { ownCustomerOnly, parseExportQuery } from './filter';
export type { ExportFilter, MovementFormat, Query, ReportFormat } from './filter';
export { movementsCsvHeader, movementCsvLine, reportCsv } from './csv';
