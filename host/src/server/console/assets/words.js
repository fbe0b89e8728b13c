// What a skill asks for, in plain words.
export function asks(capabilities = {}, limits = {}) {
  const lines = [];
  for (const host of capabilities.network ?? []) lines.push(`reach ${host}`);
  for (const path of capabilities.fs_read ?? []) lines.push(`read files in ${path}`);
  for (const path of capabilities.fs_write ?? []) lines.push(`write files in ${path}`);
  for (const name of capabilities.env ?? []) lines.push(`read the environment variable ${name}`);
  for (const name of capabilities.secrets ?? []) lines.push(`use the secret ${name}`);
  return lines.concat(limitWords(limits));
}

export function limitWords(limits = {}) {
  const lines = [];
  const timeout = limits.timeout_ms ?? limits.timeoutMs;
  const memory = limits.memory_mb ?? limits.memoryMb;
  const output = limits.output_kb ?? limits.outputKb;
  if (timeout) lines.push(`run up to ${timeout} ms a call`);
  if (memory) lines.push(`use up to ${memory} MB of memory`);
  if (output) lines.push(`return up to ${output} KB of output`);
  return lines;
}

/// What an approved grant gives, in plain words (a redacted grant: names,
/// never values).
export function gives(grant, declared = {}) {
  if (!grant) return ['nothing yet: not approved'];
  const lines = [];
  for (const host of grant.network ?? declared.network ?? []) lines.push(`reach ${host}`);
  if (grant.allowPrivateNetwork) lines.push('private networks (loopback, LAN, metadata)');
  for (const [guest, mount] of Object.entries(grant.mounts ?? {})) {
    lines.push(mount.volume ? `${guest} from volume ${mount.volume}${mount.path ? `/${mount.path}` : ''}` : `${guest}: needs re-approval`);
  }
  for (const name of grant.env ?? []) lines.push(`a value for ${name}`);
  for (const [name, binding] of Object.entries(grant.secrets ?? {})) lines.push(`the secret ${name} from ${binding.secretId}`);
  for (const inject of grant.inject ?? []) lines.push(`a header ${inject.header ?? ''} sent to ${inject.origin ?? ''}`.trim());
  const all = lines.concat(limitWords(grant.limits));
  return all.length ? all : ['nothing beyond computing'];
}

export const short = (digest = '') => digest.replace(/^sha256:/, '').slice(0, 12);
