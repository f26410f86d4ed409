/** Set at build time by fieldAppConfig (vite `define`); absent where the code runs unbuilt. */
declare const __NIAGA_APP_BUILD__: string | undefined;

/** Which build of the app this is, for the footer (and for support to ask about). */
export const appBuild: string = typeof __NIAGA_APP_BUILD__ === 'string' ? __NIAGA_APP_BUILD__ : 'development';
