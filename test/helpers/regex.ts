/** `text` as a regular-expression source that matches just it: for a message quoted inside a pattern. */
export const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
