import { createOpenApiValidator } from '../openapi/openapi-validator.ts';
import type { ContractViolation } from './state.ts';

export interface ContractCheck {
  method: string;
  /** As sent, with the GHES prefix if any. */
  path: string;
  template: string;
  /** Parsed JSON request body, undefined when none was sent. */
  requestBody: unknown;
  /** The route handler's answer; undefined when auth, a fault or the rate limit answered. */
  response: { status: number; body: unknown } | undefined;
}

export type ContractChecker = (check: ContractCheck) => ContractViolation[];

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Checks requests and the fake's answers against GitHub's OpenAPI description (built once per
 * process): the route exists; a JSON request body matches `requestBody`; the handler's response
 * matches the documented status's schema. Undocumented error statuses must be GitHub error
 * bodies (`basic-error`); undocumented 2xx are violations.
 */
export function createContractChecker(): ContractChecker {
  const openapi = createOpenApiValidator();
  return ({ method, path, template, requestBody, response }) => {
    const violations: ContractViolation[] = [];
    const record = (where: 'request' | 'response', errors: string[], status?: number) => {
      if (errors.length === 0) return;
      violations.push({
        method,
        path,
        template,
        where,
        ...(status === undefined ? {} : { status }),
        errors,
      });
    };
    if (!openapi.hasOperation(method, template)) {
      record('request', [`${method} ${template} is not in GitHub's OpenAPI description`]);
      return violations;
    }
    if (BODY_METHODS.has(method)) {
      record('request', openapi.validateRequest(method, template, requestBody));
    }
    if (response === undefined || response.status === 304) return violations;
    const { status, body } = response;
    if (openapi.documentsStatus(method, template, status)) {
      record('response', openapi.validate(method, template, status, body), status);
    } else if (status < 300) {
      record('response', [`${status} is not a documented response`], status);
    } else {
      record('response', openapi.validateSchema('basic-error', body), status);
    }
    return violations;
  };
}
