/**
 * The kernel helpers that need no server.
 */
import { kernelsToRestart } from '../kernels';

describe('kernelsToRestart', () => {
  it('restarts only the running kernels of the environment that changed', () => {
    const running = [
      { id: 'a', name: 'demo' },
      { id: 'b', name: 'python3' },
      { id: 'c', name: 'demo-twin' },
      { id: 'd', name: 'demo' }
    ];

    const chosen = kernelsToRestart(running, ['demo', 'demo-twin']);

    expect(chosen.map(kernel => kernel.id)).toEqual(['a', 'c', 'd']);
  });
});
