// What the one-time secret page asks for: shared by the page's server (secret-page.ts) and its
// HTML (page-html.ts), which must not import each other.
export interface PageRequest {
  /** The variable name the secret is for, e.g. CRM_API_KEY. */
  name: string;
  /** The keyring item it is stored as, e.g. crm-api-key. */
  id: string;
  /** Claude's one-line reason, shown as Claude's words. */
  purpose: string;
  /** Where the reference is recorded (a project file), for the page. */
  recordedIn?: string;
  /** A value is stored already and will be replaced. */
  replaces?: boolean;
  ttlMs?: number;
}
