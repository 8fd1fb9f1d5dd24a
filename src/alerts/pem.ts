/** PEM certificate bundles as the providers' `ca` setting carries them. */
import { X509Certificate } from "node:crypto";

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The certificates of a PEM bundle, each as its own PEM block; null when there is none or one does not parse.
 * (Node's TLS silently ignores a `ca` that is not PEM, so a typo would otherwise only show as a TLS failure.)
 */
export function pemCertificates(pem: string): string[] | null {
  const blocks = pem.match(PEM_BLOCK);
  if (!blocks) return null;
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      return null;
    }
  }
  return blocks;
}
