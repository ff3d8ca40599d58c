// @ts-check
// The application poster (/apply/<organisation>/poster): its print button (no inline script: the CSP forbids it).

for (const button of document.querySelectorAll('[data-print]')) button.addEventListener('click', () => window.print());
