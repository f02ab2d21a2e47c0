import { describe, expect, it } from 'vitest';
import { parseScope } from '../../harness/token-server.js';

describe('token server scope parsing', () => {
  it('splits type, name and actions', () => {
    expect(parseScope('repository:fixtures/alpha:pull,push')).toEqual({ type: 'repository', name: 'fixtures/alpha', actions: ['pull', 'push'] });
    expect(parseScope('registry:catalog:*')).toEqual({ type: 'registry', name: 'catalog', actions: ['*'] });
  });
  it('keeps colons inside the name (host:port prefixes)', () => {
    expect(parseScope('repository:localhost:5000/app:pull')).toEqual({ type: 'repository', name: 'localhost:5000/app', actions: ['pull'] });
  });
  it('rejects malformed scopes', () => {
    expect(parseScope('repository')).toBeUndefined();
    expect(parseScope('repository:name')).toBeUndefined();
    expect(parseScope(':x:pull')).toBeUndefined();
  });
});
