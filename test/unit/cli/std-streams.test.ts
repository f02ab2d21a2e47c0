/** src/cli/std-streams.ts and exitCodeOf: what a failed stdout or stderr makes of a run (the binary: test/integration/cli/closed-output.test.ts). */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';
import { quietAfterTheRun, stdoutFailure, watchStdStreams } from '../../../src/cli/std-streams.js';
import { InterruptedError, IoError, NotFoundError, type AirliftError } from '../../../src/errors.js';

const errno = (code: string, message = `write ${code}`): NodeJS.ErrnoException => Object.assign(new Error(message), { code, syscall: 'write' });

describe('a failed stdout', () => {
  it('EPIPE is SIGPIPE: exit 141, said only while the run works; another failure is E_IO naming stdout, exit 11', () => {
    const pipe = stdoutFailure(errno('EPIPE'));
    expect(pipe).toBeInstanceOf(InterruptedError);
    expect(exitCodeOf(pipe)).toBe(141);
    expect(pipe.message).toBe('stdout was closed by its reader (EPIPE): stopped, the output was not delivered');
    expect(quietAfterTheRun(pipe)).toBe(true);
    const full = stdoutFailure(errno('ENOSPC', 'ENOSPC: no space left on device, write'));
    expect(full).toBeInstanceOf(IoError);
    expect(exitCodeOf(full)).toBe(11);
    expect(full.message).toContain('stdout');
    expect(full.message).toContain('ENOSPC');
    expect(quietAfterTheRun(full)).toBe(false);
  });

  it('exitCodeOf: 128 + the signal for an interruption, the code table otherwise', () => {
    expect(exitCodeOf(new InterruptedError('SIGINT'))).toBe(130);
    expect(exitCodeOf(new InterruptedError('SIGTERM'))).toBe(143);
    expect(exitCodeOf(new InterruptedError('SIGPIPE'))).toBe(141);
    expect(exitCodeOf(new NotFoundError('x'))).toBe(5);
  });

  it('watchStdStreams: the first stdout failure once; stderr failures are taken and dropped', () => {
    const out = new EventEmitter();
    const err = new EventEmitter();
    const seen: AirliftError[] = [];
    watchStdStreams(out, err, (e) => seen.push(e));
    // without a listener, an 'error' event throws (the stack trace airlift printed before)
    expect(() => err.emit('error', errno('EPIPE'))).not.toThrow();
    expect(seen).toEqual([]);
    out.emit('error', errno('EPIPE'));
    out.emit('error', errno('ERR_STREAM_DESTROYED'));
    expect(seen).toHaveLength(1);
    expect(exitCodeOf(seen[0]!)).toBe(141);
  });
});
