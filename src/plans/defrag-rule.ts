/**
 * The defrag rule: a tiny, safe expression language over one member's sizes that says whether it
 * should be defragmented (`free >= 100MB || inUse/size < 0.55`). Hand-written parser and evaluator,
 * no eval. Pure.
 *
 *   rule    := or
 *   or      := and ('||' and)*
 *   and     := not ('&&' not)*
 *   not     := '!' not | compare
 *   compare := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)?
 *   sum     := product (('+' | '-') product)*
 *   product := unary (('*' | '/') unary)*
 *   unary   := '-' unary | number unit? | name | '(' or ')'
 *
 * Names: size (dbSize), inUse (dbSizeInUse), free (size - inUse), quota (size / quotaBytes), quotaBytes;
 * etcd-defrag's dbSize, dbSizeInUse, dbQuota, dbQuotaUsage are accepted too. Units: B, KB MB GB TB
 * (powers of 1000, as --quota-bytes reads them), KiB MiB GiB TiB (powers of 1024), % (80% = 0.8).
 * The whole rule must be true or false; `&&`, `||`, `!` take comparisons, arithmetic takes numbers.
 * A division by zero (or a quota that is not known) gives n/a, and a comparison with n/a is
 * undecided: `!` keeps it undecided, `&&` and `||` decide only when the other side decides alone
 * (false && n/a is false, true || n/a is true). A rule that ends undecided never selects a member.
 */
import { formatBytes } from '../format/units.js';

/** The rule production operators use: reclaim at least 100 MB, or the DB is mostly free space. */
export const DEFAULT_DEFRAG_RULE = 'free >= 100MB || inUse/size < 0.55';

/** The values a rule sees for one member (bytes, and the quota use as a ratio). */
export interface RuleVariables {
  size: number;
  inUse: number;
  free: number;
  quota: number;
  quotaBytes: number;
}

type Kind = 'bytes' | 'number' | 'bool';
type CompareOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

interface Span {
  start: number;
  end: number;
}

type Node = Span &
  (
    | { type: 'num'; value: number; kind: 'bytes' | 'number' }
    | { type: 'var'; name: keyof RuleVariables; kind: 'bytes' | 'number' }
    | { type: 'neg'; arg: Node; kind: 'bytes' | 'number' }
    | { type: 'arith'; op: '+' | '-' | '*' | '/'; left: Node; right: Node; kind: 'bytes' | 'number' }
    | { type: 'cmp'; op: CompareOp; left: Node; right: Node; kind: 'bool' }
    | { type: 'logic'; op: '&&' | '||'; left: Node; right: Node; kind: 'bool' }
    | { type: 'not'; arg: Node; kind: 'bool' }
    | { type: 'paren'; arg: Node; kind: Kind }
  );

/** A parsed rule: evaluate it with evaluateRule, explain a result with explainRule. */
export interface Rule {
  readonly source: string;
  readonly root: Node;
}

export type RuleParse = { ok: true; rule: Rule } | { ok: false; error: string; column: number };

const NAMES: Record<string, { name: keyof RuleVariables; kind: 'bytes' | 'number' }> = {
  size: { name: 'size', kind: 'bytes' },
  dbSize: { name: 'size', kind: 'bytes' },
  inUse: { name: 'inUse', kind: 'bytes' },
  dbSizeInUse: { name: 'inUse', kind: 'bytes' },
  free: { name: 'free', kind: 'bytes' },
  quota: { name: 'quota', kind: 'number' },
  dbQuotaUsage: { name: 'quota', kind: 'number' },
  quotaBytes: { name: 'quotaBytes', kind: 'bytes' },
  dbQuota: { name: 'quotaBytes', kind: 'bytes' },
};

const UNITS: Record<string, { factor: number; kind: 'bytes' | 'number' }> = {
  b: { factor: 1, kind: 'bytes' },
  kb: { factor: 1e3, kind: 'bytes' },
  mb: { factor: 1e6, kind: 'bytes' },
  gb: { factor: 1e9, kind: 'bytes' },
  tb: { factor: 1e12, kind: 'bytes' },
  kib: { factor: 2 ** 10, kind: 'bytes' },
  mib: { factor: 2 ** 20, kind: 'bytes' },
  gib: { factor: 2 ** 30, kind: 'bytes' },
  tib: { factor: 2 ** 40, kind: 'bytes' },
  '%': { factor: 0.01, kind: 'number' },
};

const NAME_LIST = 'size, inUse, free, quota, quotaBytes';
const UNIT_LIST = 'B, KB, MB, GB, TB, KiB, MiB, GiB, TiB, %';

type Token = Span & { t: 'num' | 'name' | 'op' | 'end'; text: string; value?: number; unit?: string };

class RuleError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

const OPERATORS = ['<=', '>=', '==', '!=', '&&', '||', '<', '>', '!', '+', '-', '*', '/', '(', ')'];

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9.]/.test(c)) {
      const m = /^(\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i));
      if (!m) throw new RuleError(`"${c}" is not a number`, i);
      i += m[0].length;
      const unitMatch = /^(%|[A-Za-z]+)/.exec(src.slice(i));
      let unit: string | undefined;
      if (unitMatch) {
        unit = unitMatch[1];
        if (!UNITS[unit.toLowerCase()]) throw new RuleError(`unknown unit "${unit}" (units: ${UNIT_LIST})`, i);
        i += unit.length;
      }
      tokens.push({ t: 'num', text: src.slice(start, i), value: Number(m[0]), unit, start, end: i });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i)) as RegExpExecArray;
      i += m[0].length;
      tokens.push({ t: 'name', text: m[0], start, end: i });
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) {
      const hint = c === '=' ? ' (compare with ==)' : c === '&' ? ' (and is &&)' : c === '|' ? ' (or is ||)' : '';
      throw new RuleError(`unexpected "${c}"${hint}`, i);
    }
    i += op.length;
    tokens.push({ t: 'op', text: op, start, end: i });
  }
  tokens.push({ t: 'end', text: '', start: src.length, end: src.length });
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos];
  }

  private take(): Token {
    return this.tokens[this.pos++];
  }

  private isOp(...ops: string[]): boolean {
    const t = this.peek();
    return t.t === 'op' && ops.includes(t.text);
  }

  parseRule(): Node {
    const node = this.or();
    const t = this.peek();
    if (t.t !== 'end') throw new RuleError(`unexpected "${t.text}" after a complete expression (join conditions with && or ||)`, t.start);
    if (node.kind !== 'bool') throw new RuleError('the rule must be a comparison (e.g. free >= 100MB), not a number', node.start);
    return node;
  }

  private bool(node: Node, op: Token, side: string): void {
    if (node.kind !== 'bool') throw new RuleError(`"${op.text}" needs a comparison on its ${side} (e.g. free >= 100MB)`, node.start);
  }

  private numeric(node: Node, op: Token): void {
    if (node.kind === 'bool') throw new RuleError(`"${op.text}" needs numbers, not a comparison`, node.start);
  }

  private or(): Node {
    let left = this.and();
    while (this.isOp('||')) {
      const op = this.take();
      const right = this.and();
      this.bool(left, op, 'left');
      this.bool(right, op, 'right');
      left = { type: 'logic', op: '||', left, right, kind: 'bool', start: left.start, end: right.end };
    }
    return left;
  }

  private and(): Node {
    let left = this.not();
    while (this.isOp('&&')) {
      const op = this.take();
      const right = this.not();
      this.bool(left, op, 'left');
      this.bool(right, op, 'right');
      left = { type: 'logic', op: '&&', left, right, kind: 'bool', start: left.start, end: right.end };
    }
    return left;
  }

  private not(): Node {
    if (this.isOp('!')) {
      const op = this.take();
      const arg = this.not();
      this.bool(arg, op, 'right');
      return { type: 'not', arg, kind: 'bool', start: op.start, end: arg.end };
    }
    return this.compare();
  }

  private compare(): Node {
    const left = this.sum();
    if (this.isOp('<', '<=', '>', '>=', '==', '!=')) {
      const op = this.take();
      const right = this.sum();
      this.numeric(left, op);
      this.numeric(right, op);
      if (this.isOp('<', '<=', '>', '>=', '==', '!=')) throw new RuleError('comparisons do not chain: write a < b && b < c', this.peek().start);
      return { type: 'cmp', op: op.text as CompareOp, left, right, kind: 'bool', start: left.start, end: right.end };
    }
    return left;
  }

  private sum(): Node {
    let left = this.product();
    while (this.isOp('+', '-')) {
      const op = this.take();
      const right = this.product();
      this.numeric(left, op);
      this.numeric(right, op);
      const kind = left.kind === 'bytes' || right.kind === 'bytes' ? 'bytes' : 'number';
      left = { type: 'arith', op: op.text as '+' | '-', left, right, kind, start: left.start, end: right.end };
    }
    return left;
  }

  private product(): Node {
    let left = this.unary();
    while (this.isOp('*', '/')) {
      const op = this.take();
      const right = this.unary();
      this.numeric(left, op);
      this.numeric(right, op);
      // bytes / bytes is a ratio; bytes * n and bytes / n stay bytes.
      const kind = op.text === '/' ? (left.kind === 'bytes' && right.kind !== 'bytes' ? 'bytes' : 'number') : left.kind === 'bytes' || right.kind === 'bytes' ? 'bytes' : 'number';
      left = { type: 'arith', op: op.text as '*' | '/', left, right, kind, start: left.start, end: right.end };
    }
    return left;
  }

  private unary(): Node {
    const t = this.take();
    if (t.t === 'op' && t.text === '-') {
      const arg = this.unary();
      this.numeric(arg, t);
      return { type: 'neg', arg, kind: arg.kind as 'bytes' | 'number', start: t.start, end: arg.end };
    }
    if (t.t === 'num') {
      const unit = t.unit ? UNITS[t.unit.toLowerCase()] : undefined;
      return { type: 'num', value: (t.value as number) * (unit?.factor ?? 1), kind: unit?.kind ?? 'number', start: t.start, end: t.end };
    }
    if (t.t === 'name') {
      const known = NAMES[t.text];
      if (!known) throw new RuleError(`unknown name "${t.text}" (names: ${NAME_LIST})`, t.start);
      return { type: 'var', name: known.name, kind: known.kind, start: t.start, end: t.end };
    }
    if (t.t === 'op' && t.text === '(') {
      const arg = this.or();
      const close = this.take();
      if (close.t !== 'op' || close.text !== ')') throw new RuleError(close.t === 'end' ? 'missing ")"' : `expected ")" but found "${close.text}"`, close.start);
      return { type: 'paren', arg, kind: arg.kind, start: t.start, end: close.end };
    }
    if (t.t === 'end') throw new RuleError('the rule ends too early: a number or a name is missing', t.start);
    throw new RuleError(`expected a number, a name or "(" but found "${t.text}"`, t.start);
  }
}

/** Parse a rule; a mistake comes back with a one-line message and the 1-based column it points at. */
export function parseRule(source: string): RuleParse {
  try {
    if (!source.trim()) return { ok: false, error: 'the rule is empty', column: 1 };
    const root = new Parser(tokenize(source)).parseRule();
    return { ok: true, rule: { source, root } };
  } catch (error) {
    if (error instanceof RuleError) return { ok: false, error: error.message, column: error.at + 1 };
    throw error;
  }
}

/** A parse error as the refusal sentence: what is wrong, where, and the rule with a caret under the spot. */
export function ruleErrorText(source: string, parsed: { error: string; column: number }): string {
  return `the rule "${source}" does not parse: ${parsed.error}, at column ${parsed.column}:\n    ${source}\n    ${' '.repeat(parsed.column - 1)}^`;
}

/** A number, true/false, or undefined: a comparison that involves n/a is undecided. */
function value(node: Node, v: RuleVariables): number | boolean | undefined {
  switch (node.type) {
    case 'num':
      return node.value;
    case 'var':
      return v[node.name];
    case 'neg':
      return -(value(node.arg, v) as number);
    case 'paren':
      return value(node.arg, v);
    case 'arith': {
      const a = value(node.left, v) as number;
      const b = value(node.right, v) as number;
      if (node.op === '+') return a + b;
      if (node.op === '-') return a - b;
      if (node.op === '*') return a * b;
      return b === 0 ? NaN : a / b;
    }
    case 'cmp': {
      const a = value(node.left, v) as number;
      const b = value(node.right, v) as number;
      if (!Number.isFinite(a) || !Number.isFinite(b)) return undefined;
      switch (node.op) {
        case '<':
          return a < b;
        case '<=':
          return a <= b;
        case '>':
          return a > b;
        case '>=':
          return a >= b;
        case '==':
          return a === b;
        case '!=':
          return a !== b;
      }
      return undefined;
    }
    case 'logic': {
      const a = value(node.left, v);
      const b = value(node.right, v);
      if (node.op === '&&') return a === false || b === false ? false : a === true && b === true ? true : undefined;
      return a === true || b === true ? true : a === false && b === false ? false : undefined;
    }
    case 'not': {
      const a = value(node.arg, v);
      return a === undefined ? undefined : !a;
    }
  }
}

/** The first comparison that is undecided (an n/a value), for the explanation. */
function undecided(node: Node, v: RuleVariables): Node | undefined {
  if (node.type === 'cmp') return value(node, v) === undefined ? node : undefined;
  if (node.type === 'paren' || node.type === 'not') return undecided(node.arg, v);
  if (node.type === 'logic') return undecided(node.left, v) ?? undecided(node.right, v);
  return undefined;
}

/** Whether the rule holds for these values. */
export function evaluateRule(rule: Rule, vars: RuleVariables): boolean {
  return value(rule.root, vars) === true;
}

const NEGATED: Record<CompareOp, CompareOp> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<', '==': '!=', '!=': '==' };

function formatValue(n: number, kind: Kind): string {
  if (!Number.isFinite(n)) return 'n/a';
  if (kind === 'bytes') return formatBytes(n);
  return String(Math.round(n * 1000) / 1000);
}

function operand(rule: Rule, node: Node, v: RuleVariables): string {
  const text = rule.source.slice(node.start, node.end).trim();
  if (node.type === 'num' || (node.type === 'neg' && node.arg.type === 'num')) return text;
  return `${text} (${formatValue(value(node, v) as number, node.kind)})`;
}

function explainNode(rule: Rule, node: Node, v: RuleVariables, want: boolean): string {
  switch (node.type) {
    case 'paren':
      return explainNode(rule, node.arg, v, want);
    case 'not':
      return explainNode(rule, node.arg, v, !want);
    case 'cmp':
      return `${operand(rule, node.left, v)} ${want ? node.op : NEGATED[node.op]} ${operand(rule, node.right, v)}`;
    case 'logic': {
      const parts = [node.left, node.right].filter((n) => value(n, v) === want).map((n) => explainNode(rule, n, v, want));
      // An "or" that holds needs one side, an "and" that fails needs one side; otherwise both.
      const oneSuffices = (node.op === '||') === want;
      return oneSuffices ? parts[0] : parts.join(' and ');
    }
    default:
      return rule.source.slice(node.start, node.end).trim();
  }
}

/** Why the rule holds (or not) for these values: the comparisons that decide it, with the values. */
export function explainRule(rule: Rule, vars: RuleVariables): string {
  if (value(rule.root, vars) === undefined) {
    const node = undecided(rule.root, vars);
    const which = node && node.type === 'cmp' ? `${operand(rule, node.left, vars)} ${node.op} ${operand(rule, node.right, vars)}` : rule.source.trim();
    return `undecided: ${which} compares n/a (n/a never selects)`;
  }
  const result = evaluateRule(rule, vars);
  return explainNode(rule, rule.root, vars, result);
}

/** The rule's values for one member's status. */
export function ruleVariables(dbSize: number, dbSizeInUse: number, quotaBytes: number): RuleVariables {
  return { size: dbSize, inUse: dbSizeInUse, free: Math.max(0, dbSize - dbSizeInUse), quota: quotaBytes > 0 ? dbSize / quotaBytes : NaN, quotaBytes };
}
