// Rule ids the tests expect, checked against the engine's registry so a rename fails loudly here.
import { ruleInfo } from '../../../engine/manifest/rules/registry';

export const RULES = {
  unknownField: 'schema-unknown-field',
  enum: 'schema-enum',
  gracePeriod: 'limit-grace-period',
  duplicateContainer: 'duplicate-container-name',
} as const;

/** Ids above that the registry does not know. */
export function unknownRuleIds(): string[] {
  return Object.values(RULES).filter((id) => !ruleInfo(id));
}
