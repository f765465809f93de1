import { CutoverError } from '../errors.ts';

/** A compiled `condition:` such as `result < 0.01` or `result >= 0.99 && result <= 1`. */
export interface Condition {
  readonly text: string;
  /** Pure: the same variables always give the same answer. Never throws. */
  evaluate(variables: Readonly<Record<string, number>>): boolean;
}

type Node =
  | { type: 'number'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'variable'; name: string }
  | { type: 'unary'; op: '-' | '!'; operand: Node }
  | { type: 'binary'; op: string; left: Node; right: Node }
  | { type: 'call'; name: FunctionName; args: Node[] };

type ValueType = 'number' | 'boolean';
type FunctionName = 'abs' | 'min' | 'max';

const FUNCTIONS: Record<FunctionName, (...args: number[]) => number> = { abs: Math.abs, min: Math.min, max: Math.max };
const COMPARISONS = ['<', '<=', '>', '>=', '==', '!='];
const TOKEN = /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(<=|>=|==|!=|&&|\|\||[-+*/%<>!(),]))/y;

interface Token {
  kind: 'number' | 'word' | 'op' | 'end';
  text: string;
  at: number;
}

/**
 * Compiles a condition written in a tiny expression language: numbers, the given
 * variables, `+ - * / %`, comparisons, `&&`/`and`, `||`/`or`, `!`/`not`, parentheses and
 * `abs()`, `min()`, `max()`. Parsed here, never handed to eval, so config cannot run code.
 * @throws CutoverError('config') naming the position of the first problem, or when the
 * whole expression is not true/false (e.g. `result * 2`).
 */
export function compileCondition(text: string, variables: readonly string[] = ['result']): Condition {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (message: string, at = peek().at): never => {
    throw new CutoverError('config', `condition "${text}": ${message} at column ${at + 1}`);
  };
  const accept = (...texts: string[]): Token | undefined => {
    const token = peek();
    if ((token.kind === 'op' || token.kind === 'word') && texts.includes(token.text)) {
      pos++;
      return token;
    }
    return undefined;
  };

  const typed = (node: Node, want: ValueType, at: number): Node => {
    const got = typeOf(node);
    return got === want ? node : fail(`expected a ${want === 'number' ? 'number' : 'true/false value'}, found a ${got === 'number' ? 'number' : 'true/false value'}`, at);
  };

  function parseOr(): Node {
    let at = peek().at;
    let left = parseAnd();
    while (accept('||', 'or')) {
      const rightAt = peek().at;
      left = { type: 'binary', op: '||', left: typed(left, 'boolean', at), right: typed(parseAnd(), 'boolean', rightAt) };
      at = rightAt;
    }
    return left;
  }
  function parseAnd(): Node {
    let at = peek().at;
    let left = parseNot();
    while (accept('&&', 'and')) {
      const rightAt = peek().at;
      left = { type: 'binary', op: '&&', left: typed(left, 'boolean', at), right: typed(parseNot(), 'boolean', rightAt) };
      at = rightAt;
    }
    return left;
  }
  function parseNot(): Node {
    if (accept('!', 'not')) {
      const at = peek().at;
      return { type: 'unary', op: '!', operand: typed(parseNot(), 'boolean', at) };
    }
    return parseComparison();
  }
  function parseComparison(): Node {
    const at = peek().at;
    const left = parseSum();
    const op = accept(...COMPARISONS);
    if (!op) return left;
    const rightAt = peek().at;
    const node: Node = { type: 'binary', op: op.text, left: typed(left, 'number', at), right: typed(parseSum(), 'number', rightAt) };
    if (peek().kind === 'op' && COMPARISONS.includes(peek().text)) fail('chained comparisons are ambiguous; join them with &&');
    return node;
  }
  function parseSum(): Node {
    const at = peek().at;
    let left = parseProduct();
    for (let op = accept('+', '-'); op; op = accept('+', '-')) {
      const rightAt = peek().at;
      left = { type: 'binary', op: op.text, left: typed(left, 'number', at), right: typed(parseProduct(), 'number', rightAt) };
    }
    return left;
  }
  function parseProduct(): Node {
    const at = peek().at;
    let left = parseUnary();
    for (let op = accept('*', '/', '%'); op; op = accept('*', '/', '%')) {
      const rightAt = peek().at;
      left = { type: 'binary', op: op.text, left: typed(left, 'number', at), right: typed(parseUnary(), 'number', rightAt) };
    }
    return left;
  }
  function parseUnary(): Node {
    if (accept('-')) {
      const at = peek().at;
      return { type: 'unary', op: '-', operand: typed(parseUnary(), 'number', at) };
    }
    return parsePrimary();
  }
  function parsePrimary(): Node {
    const token = peek();
    if (token.kind === 'number') {
      pos++;
      return { type: 'number', value: Number(token.text) };
    }
    if (accept('(')) {
      const inner = parseOr();
      if (!accept(')')) fail('expected ")"');
      return inner;
    }
    if (token.kind === 'word') {
      pos++;
      if (token.text === 'true' || token.text === 'false') return { type: 'boolean', value: token.text === 'true' };
      if (Object.hasOwn(FUNCTIONS, token.text)) return parseCall(token);
      if (!variables.includes(token.text)) fail(`unknown name "${token.text}" (known: ${variables.join(', ')})`, token.at);
      return { type: 'variable', name: token.text };
    }
    return fail(token.kind === 'end' ? 'unexpected end' : `unexpected "${token.text}"`);
  }
  function parseCall(name: Token): Node {
    if (!accept('(')) fail(`expected "(" after ${name.text}`);
    const args: Node[] = [];
    do {
      const at = peek().at;
      args.push(typed(parseSum(), 'number', at));
    } while (accept(','));
    if (!accept(')')) fail('expected ")"');
    if (name.text === 'abs' && args.length !== 1) fail('abs() takes one argument', name.at);
    return { type: 'call', name: name.text as FunctionName, args };
  }

  const root = parseOr();
  if (peek().kind !== 'end') fail(`unexpected "${peek().text}"`);
  if (typeOf(root) !== 'boolean') fail('the condition must be true or false, e.g. "result < 0.01"', 0);
  return { text, evaluate: (vars) => evaluate(root, vars) === true };
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (text.slice(at).trim() === '') break;
    TOKEN.lastIndex = at;
    const match = TOKEN.exec(text);
    if (!match) {
      const column = at + (text.slice(at).length - text.slice(at).trimStart().length);
      throw new CutoverError('config', `condition "${text}": unexpected "${text[column]}" at column ${column + 1}`);
    }
    const start = TOKEN.lastIndex - (match[1] ?? match[2] ?? match[3]).length;
    tokens.push({ kind: match[1] !== undefined ? 'number' : match[2] !== undefined ? 'word' : 'op', text: match[1] ?? match[2] ?? match[3], at: start });
    at = TOKEN.lastIndex;
  }
  tokens.push({ kind: 'end', text: '', at: text.length });
  return tokens;
}

function typeOf(node: Node): ValueType {
  switch (node.type) {
    case 'number':
    case 'variable':
    case 'call':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'unary':
      return node.op === '!' ? 'boolean' : 'number';
    case 'binary':
      return ['+', '-', '*', '/', '%'].includes(node.op) ? 'number' : 'boolean';
  }
}

function evaluate(node: Node, vars: Readonly<Record<string, number>>): number | boolean {
  switch (node.type) {
    case 'number':
    case 'boolean':
      return node.value;
    case 'variable':
      return vars[node.name] ?? NaN;
    case 'unary': {
      const value = evaluate(node.operand, vars);
      return node.op === '!' ? !value : -(value as number);
    }
    case 'call':
      return FUNCTIONS[node.name](...node.args.map((a) => evaluate(a, vars) as number));
    case 'binary': {
      if (node.op === '&&') return (evaluate(node.left, vars) as boolean) && (evaluate(node.right, vars) as boolean);
      if (node.op === '||') return (evaluate(node.left, vars) as boolean) || (evaluate(node.right, vars) as boolean);
      const a = evaluate(node.left, vars) as number;
      const b = evaluate(node.right, vars) as number;
      switch (node.op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/': return a / b;
        case '%': return a % b;
        case '<': return a < b;
        case '<=': return a <= b;
        case '>': return a > b;
        case '>=': return a >= b;
        case '==': return a === b;
        default: return a !== b;
      }
    }
  }
}
