import { type Constraint, DynamoError, DynamoErrorCode, type TextTokenizer } from '@dynamojs/core';
import type { OptionSpec } from './args.js';
import { str } from './args.js';
import type { CliContext } from './commands/shared.js';

/** `--json-schema FILE`, `--grammar FILE`, `--regex RE`, `--no-forced-runs` (generate and bench). */
export const CONSTRAINT_FLAGS: OptionSpec = {
  'json-schema': { type: 'string' },
  grammar: { type: 'string' },
  regex: { type: 'string' },
  'no-forced-runs': { type: 'boolean' },
};

export const CONSTRAINT_HELP = `  --json-schema FILE          structured output: JSON valid against the JSON schema in FILE
                              (XGrammar's subset; an unsupported part is an error naming it)
  --grammar FILE              structured output: text derived from the EBNF / GBNF grammar in FILE
                              (root rule "root")
  --regex RE                  structured output: text matching the regular expression RE in full
  --no-forced-runs            with a constraint: run a pass for every token, even where the grammar
                              admits only one (default: such tokens are emitted without a pass)
`;

/** What the constraint flags add to generate's options. */
export interface ConstraintOptions {
  readonly constraint?: Constraint;
  readonly forcedRuns?: boolean;
  /** For the statistics line and reports: `json-schema FILE`, `grammar FILE`, `regex RE`. */
  readonly describe?: string;
}

/**
 * Compiles the constraint the flags name for `tokenizer` (@dynamojs/structured, loaded only when a
 * flag is given). At most one of --json-schema, --grammar, --regex (DYNAMO_INVALID_OPTION); an
 * unreadable FILE is DYNAMO_IO; an invalid schema or grammar is DYNAMO_GRAMMAR with the engine's
 * message.
 */
export async function constraintOptions(
  values: Record<string, unknown>,
  tokenizer: TextTokenizer,
  ctx: Pick<CliContext, 'readText'>,
): Promise<ConstraintOptions> {
  const given = (['json-schema', 'grammar', 'regex'] as const).filter((f) => str(values, f) !== undefined);
  const noForced = values['no-forced-runs'] === true;
  if (given.length > 1) {
    throw new DynamoError(
      DynamoErrorCode.INVALID_OPTION,
      `--${given[0]} and --${given[1]} both constrain the output: give one.`,
      { details: { option: given[1] } },
    );
  }
  const flag = given[0];
  if (flag === undefined) {
    if (noForced) {
      throw new DynamoError(
        DynamoErrorCode.INVALID_OPTION,
        '--no-forced-runs needs a constraint (--json-schema, --grammar or --regex).',
        { details: { option: 'no-forced-runs' } },
      );
    }
    return {};
  }
  const value = str(values, flag) as string;
  const structured = await import('@dynamojs/structured');
  let constraint: Constraint;
  if (flag === 'regex') {
    constraint = await structured.regexConstraint(tokenizer, value);
  } else {
    const text = await readFlagFile(ctx, flag, value);
    constraint =
      flag === 'json-schema'
        ? await structured.jsonSchemaConstraint(tokenizer, text)
        : await structured.grammarConstraint(tokenizer, text);
  }
  return { constraint, forcedRuns: !noForced, describe: `${flag} ${value}` };
}

async function readFlagFile(ctx: Pick<CliContext, 'readText'>, flag: string, path: string): Promise<string> {
  try {
    return await ctx.readText(path);
  } catch (cause) {
    throw new DynamoError(DynamoErrorCode.IO, `--${flag}: cannot read ${path}: ${(cause as Error).message}`, {
      details: { option: flag, file: path },
      cause,
    });
  }
}
