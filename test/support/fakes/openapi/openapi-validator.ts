import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

interface OpenApiContent {
  content?: Record<string, { schema?: unknown }>;
}
interface OpenApiResponse extends OpenApiContent {
  $ref?: string;
}
interface OpenApiOperation {
  responses: Record<string, OpenApiResponse>;
  requestBody?: OpenApiContent & { $ref?: string; required?: boolean };
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    responses: Record<string, OpenApiResponse>;
    requestBodies?: Record<string, OpenApiContent & { required?: boolean }>;
  };
}

export interface OpenApiValidator {
  /** Validation errors of `body` against the documented response, `[]` when it conforms. */
  validate: (method: string, pathTemplate: string, status: number, body: unknown) => string[];
  /** Whether GitHub documents `METHOD pathTemplate` (e.g. `GET /repos/{owner}/{repo}/hooks`). */
  hasOperation: (method: string, pathTemplate: string) => boolean;
  /** Whether the operation documents this status code. */
  documentsStatus: (method: string, pathTemplate: string, status: number) => boolean;
  /**
   * Validation errors of a JSON request body against `requestBody.content['application/json']`;
   * `body === undefined` means no body was sent. `[]` when it conforms or nothing is documented.
   */
  validateRequest: (method: string, pathTemplate: string, body: unknown) => string[];
  /** Validation errors against a component schema, e.g. `basic-error`. */
  validateSchema: (name: string, value: unknown) => string[];
}

// ajv-formats is CommonJS; under NodeNext its default import is the module namespace.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as typeof addFormatsModule.default;

/**
 * OpenAPI 3.0 `nullable` should admit null, but Ajv still applies `enum`: add null to it; and Ajv
 * refuses `nullable` without `type` (e.g. beside `allOf`): turn it into `anyOf [schema, null]`.
 */
function allowNullInNullableEnums(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) allowNullInNullableEnums(item);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  for (const value of Object.values(node)) allowNullInNullableEnums(value);
  const schema = node as Record<string, unknown> & { nullable?: unknown; enum?: unknown[] };
  fixUserOrEnterprise(schema);
  if (schema.nullable !== true) return;
  if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum.push(null);
  if (schema.type === undefined) {
    const { nullable: _nullable, ...rest } = schema;
    for (const name of Object.keys(schema)) delete schema[name];
    schema.anyOf = [rest, { type: 'null' }];
  }
}

/**
 * Erratum: some operations (`GET /app/installations`, …) inline an installation's `account` as
 * `allOf [Simple User, Enterprise]`, which no account satisfies; the `installation` component
 * (and GitHub) mean `anyOf`.
 */
function fixUserOrEnterprise(schema: Record<string, unknown>): void {
  const branches = schema.allOf;
  if (!Array.isArray(branches) || branches.length !== 2) return;
  const titles = branches.map((branch) => (branch as { title?: unknown } | null)?.title);
  if (titles[0] !== 'Simple User' || titles[1] !== 'Enterprise') return;
  schema.anyOf = branches;
  delete schema.allOf;
}

const pointer = (...parts: string[]) =>
  parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

const JSON_TYPE = 'application/json';

const formatErrors = (errors: ErrorObject[] | null | undefined): string[] =>
  (errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`.trim());

let cached: OpenApiValidator | undefined;

/**
 * Validates bodies against GitHub's OpenAPI description (@octokit/openapi, api.github.com).
 * Built once per process (≈0.7 s: the description is large) and shared by every caller.
 */
export function createOpenApiValidator(): OpenApiValidator {
  cached ??= buildValidator();
  return cached;
}

function buildValidator(): OpenApiValidator {
  const spec = createRequire(import.meta.url)(
    '@octokit/openapi/generated/api.github.com.json',
  ) as OpenApiDocument;
  allowNullInNullableEnums(spec);
  // OpenAPI 3.0 keywords (nullable, example, discriminator, x-*) are not JSON Schema: not strict.
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  for (const format of ['int32', 'int64', 'binary', 'byte']) ajv.addFormat(format, true);
  ajv.addSchema(spec, 'openapi');

  const compiled = new Map<string, ValidateFunction>();
  const check = (schemaRef: string, value: unknown): string[] => {
    let fn = compiled.get(schemaRef);
    if (!fn) {
      fn = ajv.getSchema(schemaRef) ?? ajv.compile({ $ref: schemaRef });
      compiled.set(schemaRef, fn);
    }
    return fn(value) ? [] : formatErrors(fn.errors);
  };
  const operation = (method: string, template: string) =>
    spec.paths[template]?.[method.toLowerCase()];

  return {
    validate(method, pathTemplate, status, body) {
      const response = operation(method, pathTemplate)?.responses[String(status)];
      if (!response) return [`no documented ${status} response for ${method} ${pathTemplate}`];
      const ref = response.$ref?.replace('#/components/responses/', '');
      const resolved = ref === undefined ? response : spec.components.responses[ref];
      if (resolved?.content?.[JSON_TYPE]?.schema === undefined) {
        // Documented without a body (204, 304, …): there must be none.
        return body === undefined || body === ''
          ? []
          : [`/ ${status} is documented without a body`];
      }
      const base =
        ref === undefined
          ? pointer('paths', pathTemplate, method.toLowerCase(), 'responses', String(status))
          : pointer('components', 'responses', ref);
      return check(`openapi#/${base}/content/${pointer(JSON_TYPE)}/schema`, body);
    },
    hasOperation: (method, pathTemplate) => operation(method, pathTemplate) !== undefined,
    documentsStatus: (method, pathTemplate, status) =>
      operation(method, pathTemplate)?.responses[String(status)] !== undefined,
    validateRequest(method, pathTemplate, body) {
      const requestBody = operation(method, pathTemplate)?.requestBody;
      if (!requestBody) return [];
      const ref = requestBody.$ref?.replace('#/components/requestBodies/', '');
      const resolved = ref === undefined ? requestBody : spec.components.requestBodies?.[ref];
      if (body === undefined) return resolved?.required ? ['/ request body is required'] : [];
      if (resolved?.content?.[JSON_TYPE]?.schema === undefined) return [];
      const base =
        ref === undefined
          ? pointer('paths', pathTemplate, method.toLowerCase(), 'requestBody')
          : pointer('components', 'requestBodies', ref);
      return check(`openapi#/${base}/content/${pointer(JSON_TYPE)}/schema`, body);
    },
    validateSchema: (name, value) =>
      check(`openapi#/${pointer('components', 'schemas', name)}`, value),
  };
}
