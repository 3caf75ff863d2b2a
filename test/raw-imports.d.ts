// Vite's `?raw` imports give a file's text (the security-headers test reads public/_headers so).
declare module "*?raw" {
  const text: string;
  export default text;
}
