/** Prints the commented `.env.example` generated from the platform's configuration spec. */
import { describeConfig } from '@roomcast/core';
import { platformConfigSpec } from '@roomcast/all';

export function envExample(): string {
  return `# Roomcast configuration. Every setting is an environment variable; this file is generated
# from the configuration spec by \`bash scripts/node.sh node scripts/env-example.ts > .env.example\`.
# Unset settings take the default shown; required ones are commented out.

${describeConfig(platformConfigSpec)}
`;
}

if (import.meta.main) process.stdout.write(envExample());
