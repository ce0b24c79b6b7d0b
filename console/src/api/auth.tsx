import { useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { onUnauthorised, storedKey, storeKey } from "./client";

interface Auth {
  signedIn: boolean;
  signIn: (key: string) => void;
  signOut: () => void;
}

const AuthContext = createContext<Auth | null>(null);

/** The API key lives in the browser's local storage; signing out forgets it and every cached
 * answer fetched with it. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const queries = useQueryClient();
  const [signedIn, setSignedIn] = useState(() => storedKey() !== null);
  const signIn = useCallback((key: string) => {
    storeKey(key);
    setSignedIn(true);
  }, []);
  const signOut = useCallback(() => {
    storeKey(null);
    queries.clear();
    setSignedIn(false);
  }, [queries]);
  useEffect(() => onUnauthorised(signOut), [signOut]);
  const value = useMemo(() => ({ signedIn, signIn, signOut }), [signedIn, signIn, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}
