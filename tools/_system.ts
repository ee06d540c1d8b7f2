// What the tools ask of the machine: packages from the one installer of system packages
// (tools/install_system.sh), and plain checks of paths.

/** A part that `tools/install_system.sh` installs when it is missing (Debian, as root). */
export type SystemPart = "blas" | "torch" | "jupyter" | "chromium";

/**
 * Runs `tools/install_system.sh PART`: installs the part when it is missing, and says so on
 * standard error (its standard output too, with `quiet` false). True when the part is there.
 */
export async function installSystemPart(part: SystemPart, quiet = false): Promise<boolean> {
  const installer = new URL("./install_system.sh", import.meta.url).pathname;
  const { success } = await new Deno.Command("bash", {
    args: [installer, part],
    stdout: quiet ? "null" : "inherit",
    stderr: "inherit",
  }).output();
  return success;
}

/** What `path` is, or null when it is missing (or cannot be read). */
function statOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch {
    return null;
  }
}

/** True when `path` is a folder (false when it is missing, or is something else). */
export const isFolder = (path: string): boolean => statOrNull(path)?.isDirectory ?? false;

/** True when `path` is a regular file (false when it is missing, or is something else). */
export const isFile = (path: string): boolean => statOrNull(path)?.isFile ?? false;
