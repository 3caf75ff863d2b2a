/**
 * A JSON Schema (as zod writes it into the API document) as the TypeScript-like text a reader
 * scans: `{ id: string; imageUrl: string | null; items: { … }[] }`. Only what the document uses.
 */
type Schema = { [key: string]: unknown };

const isSchema = (value: unknown): value is Schema => typeof value === "object" && value !== null && !Array.isArray(value);

export function schemaText(schema: unknown, indent = ""): string {
  if (!isSchema(schema)) return "unknown";
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants)) return variants.map((v) => schemaText(v, indent)).join(" | ");
  if ("const" in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const type = schema.type;
  if (Array.isArray(type)) return type.map((t) => schemaText({ ...schema, type: t }, indent)).join(" | ");
  if (type === "array") return `${wrap(schemaText(schema.items, indent))}[]`;
  if (type === "object") return objectText(schema, indent);
  if (type === "integer") return "integer";
  return typeof type === "string" ? type : "unknown";
}

function objectText(schema: Schema, indent: string): string {
  const properties = isSchema(schema.properties) ? Object.entries(schema.properties) : [];
  if (properties.length === 0) return "object";
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const inner = `${indent}  `;
  const lines = properties.map(([name, value]) => `${inner}${name}${required.has(name) ? "" : "?"}: ${schemaText(value, inner)};`);
  return `{\n${lines.join("\n")}\n${indent}}`;
}

const wrap = (text: string) => (!text.startsWith("{") && text.includes(" | ") ? `(${text})` : text);
