/** The image formats we store, with the extension and Content-Type each gets. */
export const IMAGE_TYPES = {
  jpeg: { extension: 'jpg', contentType: 'image/jpeg', aliases: ['jpg', 'jpeg', 'jpe', 'jfif'] },
  png: { extension: 'png', contentType: 'image/png', aliases: ['png'] },
  gif: { extension: 'gif', contentType: 'image/gif', aliases: ['gif'] },
  webp: { extension: 'webp', contentType: 'image/webp', aliases: ['webp'] },
  avif: { extension: 'avif', contentType: 'image/avif', aliases: ['avif'] },
  bmp: { extension: 'bmp', contentType: 'image/bmp', aliases: ['bmp', 'dib'] },
  tiff: { extension: 'tiff', contentType: 'image/tiff', aliases: ['tif', 'tiff'] },
  ico: { extension: 'ico', contentType: 'image/vnd.microsoft.icon', aliases: ['ico', 'cur'] },
  svg: { extension: 'svg', contentType: 'image/svg+xml', aliases: ['svg'] },
} as const satisfies Record<string, { extension: string; contentType: string; aliases: readonly string[] }>;

export type ImageType = keyof typeof IMAGE_TYPES;

/** Every extension any image type answers to (lower case), for the naming rules. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(
  Object.values(IMAGE_TYPES).flatMap((type) => type.aliases),
);
