import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateStoreContract } from '../../../test/support/state-store-contract.ts';
import { FileStateStore } from './file-store.ts';

stateStoreContract('file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-store-contract-'));
  return {
    store: new FileStateStore(dir),
    reopen: () => new FileStateStore(dir),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
