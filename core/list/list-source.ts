/** A list's name in messages (`-` is standard input) and its bytes. */
export interface ListSource {
  name: string;
  chunks: AsyncIterable<Buffer>;
  close(): Promise<void>;
}
