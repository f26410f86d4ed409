/** The agent app's sections: a tab bar of big targets, then the screen the hash route names. */
import { SectionTabs, useRoute } from '@niaga/app-kit';
import { CatalogScreen } from './catalog-screen.tsx';
import { CustomerDetail } from './customer-detail.tsx';
import { CustomerForm } from './customer-form.tsx';
import { CustomersScreen } from './customers-screen.tsx';
import { OrderDetail } from './order-detail.tsx';
import { OrderEntry } from './order-entry.tsx';
import { OrdersScreen } from './orders-screen.tsx';
import { ProductDetail } from './product-detail.tsx';
import { RouteScreen } from './route-screen.tsx';

const tabs = [
  ['route', 'Route'],
  ['customers', 'Customers'],
  ['catalog', 'Catalogue'],
  ['new-order', 'New order'],
  ['orders', 'Orders'],
] as const;

function Screen(props: { readonly route: readonly string[] }) {
  const [section = 'route', id, action] = props.route;
  switch (section) {
    case 'customers':
      if (id === 'new') return <CustomerForm />;
      if (id && action === 'edit') return <CustomerForm customerID={id} />;
      return id ? <CustomerDetail customerID={id} /> : <CustomersScreen />;
    case 'catalog':
      return id ? <ProductDetail productID={id} /> : <CatalogScreen />;
    case 'new-order':
      return <OrderEntry {...(id ? { customerID: id } : {})} />;
    case 'orders':
      return id ? <OrderDetail orderID={id} /> : <OrdersScreen />;
    default:
      return <RouteScreen />;
  }
}

export function AgentScreens() {
  const route = useRoute();
  const section = route[0] ?? 'route';
  return (
    <>
      <SectionTabs tabs={tabs} current={section} />
      <div className="screen">
        <Screen route={route} />
      </div>
    </>
  );
}
