// Switchyard's search attributes on a Temporal namespace, which make deployments findable by service,
// environment, phase and image (and in the web UI). Workflows fail their tasks on unknown ones.
import type { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { allSearchAttributes } from '../shared/naming';

export const indexedValueType: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Switchyard's search attributes the namespace does not have yet. */
export async function missingSearchAttributes(
  connection: Connection,
  namespace: string,
): Promise<typeof allSearchAttributes> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return allSearchAttributes.filter((k) => !(k.name in (customAttributes ?? {})));
}

/**
 * Adds the search attributes that are not registered yet (idempotent); returns their names. The dev
 * server's --search-attribute flag applies only to a new SQLite file, and a real cluster has none: both
 * go through the operator service.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const missing = await missingSearchAttributes(connection, namespace);
  if (missing.length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, indexedValueType[k.type]])),
    });
  }
  return missing.map((k) => k.name);
}
