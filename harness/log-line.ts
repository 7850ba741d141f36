/** One parsed line of an image-loader process's JSON log (`time` is ISO 8601). */
export type LogLine = { time: string; level: string; msg: string } & Record<string, unknown>;
