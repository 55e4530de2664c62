/** What a composition tells the template plugin; the tools read them from the environment. */
export interface TemplateSettings {
  /** The machine's template cache (default: /var/cache/vzkit/templates, or the shared one of test roots). */
  cacheDir?: string;
  /** The Debian mirror of every build (`vztmpl create --mirror` wins; default: the host's apt sources'). */
  mirror?: string;
}
