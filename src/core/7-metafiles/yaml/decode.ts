import { DvcFileError } from '../../1-base/errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The text of a metafile (`.dvc`, `dvc.yaml`, `dvc.lock`, a params file) from its bytes. Bytes
 * that are not UTF-8 are refused, naming the file and line, as DVC's reader fails on them too:
 * decoded leniently they would become U+FFFD, and a path of them one nobody wrote. A BOM is kept
 * (parseYamlFile skips it), as `toString('utf8')` keeps it.
 */
export function decodeMetafile(bytes: Uint8Array, fileLabel: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    let line = 1;
    let start = 0;
    for (;;) {
      const end = bytes.indexOf(0x0a, start);
      try {
        strictUtf8.decode(bytes.subarray(start, end === -1 ? bytes.length : end));
      } catch {
        throw new DvcFileError(fileLabel, 'the file is not valid UTF-8', { line });
      }
      if (end === -1) throw new DvcFileError(fileLabel, 'the file is not valid UTF-8');
      start = end + 1;
      line += 1;
    }
  }
}
