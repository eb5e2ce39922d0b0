import { failClosed } from './fail-closed';
import type { BypassFunction } from './options';

/**
 * The `bypass` option's functions, each run at most once per request (keyed
 * on the context object) and fail closed: shared by the directive and by the
 * checks on who may manage a pass.
 */
export class Bypasses {
  private readonly outcomes = new WeakMap<object, Map<string, boolean | Promise<boolean>>>();

  constructor(private readonly functions: Record<string, BypassFunction>) {}

  get names(): ReadonlySet<string> {
    return new Set(Object.keys(this.functions));
  }

  /** Does `context` pass the bypass called `name`? */
  passes(name: string, context: object): boolean | Promise<boolean> {
    let outcomes = this.outcomes.get(context);
    if (!outcomes) this.outcomes.set(context, (outcomes = new Map()));
    let outcome = outcomes.get(name);
    if (outcome === undefined) {
      outcome = failClosed(() => this.functions[name](context));
      outcomes.set(name, outcome);
    }
    return outcome;
  }

  /** Does `context` pass any of them? */
  async passesAny(context: unknown): Promise<boolean> {
    if (context === null || typeof context !== 'object') return false;
    for (const name of Object.keys(this.functions)) {
      if (await this.passes(name, context)) return true;
    }
    return false;
  }
}
