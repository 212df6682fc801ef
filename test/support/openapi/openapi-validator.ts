import { createRequire } from 'node:module';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';

interface OpenApiResponse {
  $ref?: string;
  content?: Record<string, { schema?: unknown }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, OpenApiResponse> }>>;
  components: { responses: Record<string, OpenApiResponse> };
}

export interface OpenApiValidator {
  /** Validation errors of `body` against the documented response, `[]` when it conforms. */
  validate: (method: string, pathTemplate: string, status: number, body: unknown) => string[];
}

// ajv-formats is CommonJS; under NodeNext its default import is the module namespace.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as typeof addFormatsModule.default;

/** OpenAPI 3.0 `nullable` should admit null, but Ajv still applies `enum`: add null to it. */
function allowNullInNullableEnums(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) allowNullInNullableEnums(item);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const schema = node as { nullable?: unknown; enum?: unknown[] };
  if (schema.nullable === true && Array.isArray(schema.enum) && !schema.enum.includes(null)) {
    schema.enum.push(null);
  }
  for (const value of Object.values(node)) allowNullInNullableEnums(value);
}

const pointer = (...parts: string[]) =>
  parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/** Validates bodies against GitHub's OpenAPI description (@octokit/openapi, api.github.com). */
export function createOpenApiValidator(): OpenApiValidator {
  const spec = createRequire(import.meta.url)(
    '@octokit/openapi/generated/api.github.com.json',
  ) as OpenApiDocument;
  allowNullInNullableEnums(spec);
  // OpenAPI 3.0 keywords (nullable, example, discriminator, x-*) are not JSON Schema: not strict.
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  for (const format of ['int32', 'int64', 'binary', 'byte']) ajv.addFormat(format, true);
  ajv.addSchema(spec, 'openapi');

  return {
    validate(method, pathTemplate, status, body) {
      const responses = spec.paths[pathTemplate]?.[method.toLowerCase()]?.responses;
      const response = responses?.[String(status)];
      if (!response) return [`no documented ${status} response for ${method} ${pathTemplate}`];
      const ref = response.$ref?.replace('#/components/responses/', '');
      const base =
        ref === undefined
          ? pointer('paths', pathTemplate, method.toLowerCase(), 'responses', String(status))
          : pointer('components', 'responses', ref);
      const schemaRef = `openapi#/${base}/content/${pointer('application/json')}/schema`;
      const check = ajv.getSchema(schemaRef) ?? ajv.compile({ $ref: schemaRef });
      if (check(body)) return [];
      return (check.errors ?? []).map(
        (error: ErrorObject) => `${error.instancePath || '/'} ${error.message ?? ''}`,
      );
    },
  };
}
