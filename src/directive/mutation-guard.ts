import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  getDirectiveValues,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { FieldCheck } from './field-check';
import { RULES_EXTENSION, type FieldRules } from './field-rules';
import type { Verdict } from './visitor-check';

/** The root field names an operation will execute, honouring @skip/@include and fragments. */
function rootFieldNames(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  names = new Set<string>(),
): Set<string> {
  for (const selection of selectionSet.selections) {
    if (getDirectiveValues(GraphQLSkipDirective, selection, variables)?.if === true) continue;
    if (getDirectiveValues(GraphQLIncludeDirective, selection, variables)?.if === false) continue;
    if (selection.kind === Kind.FIELD) names.add(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) rootFieldNames(selection.selectionSet, fragments, variables, names);
    else {
      const fragment = fragments.get(selection.name.value);
      if (fragment) rootFieldNames(fragment.selectionSet, fragments, variables, names);
    }
  }
  return names;
}

/**
 * Checks every guarded root field of a mutation before any resolver runs
 * (creating the guest an @allowGuest field needs): the first denial refuses
 * the whole operation, so nothing half-runs.
 */
export async function guardMutation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  context: unknown,
  check: FieldCheck,
): Promise<Verdict> {
  const mutationType = schema.getMutationType();
  if (operation.operation !== 'mutation' || !mutationType) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const fields = mutationType.getFields();
  for (const name of rootFieldNames(operation.selectionSet, fragments, variables)) {
    const rules = fields[name]?.extensions?.[RULES_EXTENSION] as FieldRules | undefined;
    if (!rules) continue;
    const verdict = await check(context, rules);
    if (verdict) return verdict;
  }
  return null;
}
