/** The jsep node shapes the compiler accepts (core nodes plus the object and spread plugins). */
export interface BaseNode {
  type: string;
  [key: string]: unknown;
}

export interface LiteralNode extends BaseNode {
  type: 'Literal';
  value: unknown;
  raw: string;
}
export interface IdentifierNode extends BaseNode {
  type: 'Identifier';
  name: string;
}
export interface MemberNode extends BaseNode {
  type: 'MemberExpression';
  computed: boolean;
  object: BaseNode;
  property: BaseNode;
}
export interface CallNode extends BaseNode {
  type: 'CallExpression';
  callee: BaseNode;
  arguments: BaseNode[];
}
export interface UnaryNode extends BaseNode {
  type: 'UnaryExpression';
  operator: string;
  argument: BaseNode;
}
export interface BinaryNode extends BaseNode {
  type: 'BinaryExpression';
  operator: string;
  left: BaseNode;
  right: BaseNode;
}
export interface ConditionalNode extends BaseNode {
  type: 'ConditionalExpression';
  test: BaseNode;
  consequent: BaseNode;
  alternate: BaseNode;
}
export interface ArrayNode extends BaseNode {
  type: 'ArrayExpression';
  elements: Array<BaseNode | null>;
}
export interface PropertyNode extends BaseNode {
  type: 'Property';
  computed: boolean;
  key: BaseNode;
  value: BaseNode;
  shorthand: boolean;
}
export interface ObjectNode extends BaseNode {
  type: 'ObjectExpression';
  properties: BaseNode[];
}
export interface SpreadNode extends BaseNode {
  type: 'SpreadElement';
  argument: BaseNode;
}
export interface CompoundNode extends BaseNode {
  type: 'Compound';
  body: BaseNode[];
}
