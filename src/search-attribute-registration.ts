// Registers Switchyard's search attributes on a Temporal namespace, so deployments are findable by
// service, environment, phase and image in the web UI. Used by `switchyard dev` and `switchyard init`.
import type { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const indexedValueType: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * Adds the search attributes that are not registered yet (idempotent). The dev server's --search-attribute
 * flag applies only to a new SQLite file, and a real cluster has none: both go through the operator service.
 */
export async function registerSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: { name: string; type: SearchAttributeType }[],
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = keys.filter((k) => !known.has(k.name));
  if (missing.length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, indexedValueType[k.type]])),
    });
  }
  return missing.map((k) => k.name);
}
