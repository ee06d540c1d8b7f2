// The HTML rewriting of tools/render_math.ts, apart so that it is tested without KaTeX.
import { DOMParser } from "linkedom";
import { escapeHtml, unescapeHtml } from "../lib/_html.ts";

/** The few DOM operations used here (Deno has no DOM types; linkedom's are loose). */
interface DomNode {
  nodeType: number;
  nodeName: string;
  childNodes: ArrayLike<DomNode>;
  textContent: string | null;
  innerHTML: string;
  parentElement: DomNode | null;
  closest(selector: string): DomNode | null;
  getAttribute(name: string): string | null;
  remove(): void;
  replaceWith(...nodes: DomNode[]): void;
  normalize(): void;
}
interface DomDocument {
  documentElement: { outerHTML: string };
  querySelectorAll(selector: string): ArrayLike<DomNode>;
  createElement(tag: string): DomNode;
}

/** Rendered Markdown in nbconvert's lab and classic templates: where TeX may appear. */
const MARKDOWN = ".jp-RenderedMarkdown, .jp-MarkdownOutput, .text_cell_render, .rendered_html";

/** `$$…$$` (display) or `$…$` (inline, not starting or ending with a space, not `$5 and $6`). */
const TEX = /\$\$([\s\S]+?)\$\$|\$(?![\s$])((?:\\\$|[^$\n])+?)(?<!\s)\$(?!\d)/g;

/**
 * Replaces the TeX in the rendered Markdown of `html` by `render(tex, display)`'s markup (code
 * and pre blocks are left alone) and removes every script that loads from elsewhere (`src`) and
 * MathJax's inline configuration. Returns the page and what was done.
 */
export function renderMathInHtml(
  html: string,
  render: (tex: string, display: boolean) => string,
): { html: string; formulas: number; scriptsRemoved: number } {
  const document = new DOMParser().parseFromString(html, "text/html") as unknown as DomDocument;
  let scriptsRemoved = 0;
  for (const script of Array.from(document.querySelectorAll("script"))) {
    if (script.getAttribute("src") || /MathJax/.test(script.textContent ?? "")) {
      script.remove();
      scriptsRemoved++;
    }
  }
  let formulas = 0;
  for (const container of Array.from(document.querySelectorAll(MARKDOWN))) {
    // A container nested in another is handled with its parent.
    if (container.parentElement?.closest(MARKDOWN)) continue;
    // The parser may split one run of text at an entity (&lt;): join such pieces first.
    container.normalize();
    const texts: DomNode[] = [];
    const walk = (node: DomNode) => {
      for (const child of Array.from(node.childNodes)) {
        if (child.nodeType === 3) texts.push(child);
        else if (child.nodeType === 1 && !/^(CODE|PRE|SCRIPT|STYLE|MATH)$/.test(child.nodeName)) {
          walk(child);
        }
      }
    };
    walk(container);
    for (const text of texts) {
      const value = text.textContent ?? "";
      if (!value.includes("$")) continue;
      let changed = false;
      const markup = escapeHtml(value).replace(TEX, (_, display: string, inline: string) => {
        changed = true;
        formulas++;
        return render(unescapeHtml(display ?? inline).trim(), display !== undefined);
      });
      if (!changed) continue;
      const holder = document.createElement("span");
      holder.innerHTML = markup;
      text.replaceWith(...Array.from(holder.childNodes));
    }
  }
  return {
    html: "<!DOCTYPE html>\n" + document.documentElement.outerHTML,
    formulas,
    scriptsRemoved,
  };
}
