/**
 * The demo company: Niaga Nusantara, a wholesale distributor of groceries and household goods
 * across Indonesia. Word lists for plausible names; prices are USD cents.
 */

export interface LeafCategory {
  name: string;
  slug: string;
  /** Three capitals: the SKU prefix. */
  code: string;
  items: readonly string[];
  /** Pack sizes; a product with variants sells several of these. */
  sizes: readonly string[];
  /** Colours instead of sizes for variants (household goods). */
  colours?: readonly string[];
  unit: string;
  /** Price range in cents for the smallest size. */
  price: readonly [number, number];
  tags: readonly string[];
}

export interface TopCategory {
  name: string;
  slug: string;
  leaves: readonly LeafCategory[];
}

export const categoryTree: readonly TopCategory[] = [
  {
    name: 'Rice & Grains', slug: 'rice-grains', leaves: [
      { name: 'Rice', slug: 'rice', code: 'RIC', items: ['Jasmine Rice', 'Premium White Rice', 'Red Rice', 'Glutinous Rice', 'Pandan Rice', 'Basmati Rice', 'Broken Rice'], sizes: ['1 kg', '5 kg', '10 kg', '25 kg'], unit: 'bag', price: [150, 900], tags: ['staple', 'halal'] },
      { name: 'Noodles', slug: 'noodles', code: 'NDL', items: ['Instant Fried Noodles', 'Chicken Curry Noodles', 'Rice Vermicelli', 'Egg Noodles', 'Kway Teow', 'Soto Noodles'], sizes: ['5 pack', '10 pack', '40 pack'], unit: 'pack', price: [120, 600], tags: ['instant', 'halal'] },
      { name: 'Flour & Baking', slug: 'flour-baking', code: 'FLR', items: ['Wheat Flour', 'Tapioca Starch', 'Rice Flour', 'Cornstarch', 'Baking Powder', 'Sago Flour'], sizes: ['500 g', '1 kg', '25 kg'], unit: 'bag', price: [90, 500], tags: ['baking'] },
    ],
  },
  {
    name: 'Cooking Essentials', slug: 'cooking-essentials', leaves: [
      { name: 'Cooking Oil', slug: 'cooking-oil', code: 'OIL', items: ['Palm Cooking Oil', 'Coconut Oil', 'Sunflower Oil', 'Refined Palm Olein', 'Sesame Oil'], sizes: ['1 L', '2 L', '5 L', '18 L'], unit: 'bottle', price: [180, 800], tags: ['staple'] },
      { name: 'Sugar & Salt', slug: 'sugar-salt', code: 'SGR', items: ['Granulated Sugar', 'Palm Sugar', 'Brown Sugar', 'Iodised Salt', 'Sea Salt', 'Rock Sugar'], sizes: ['500 g', '1 kg', '50 kg'], unit: 'bag', price: [60, 300], tags: ['staple'] },
      { name: 'Sauces & Condiments', slug: 'sauces-condiments', code: 'SAU', items: ['Sweet Soy Sauce', 'Chilli Sauce', 'Oyster Sauce', 'Fish Sauce', 'Sambal Terasi', 'Tomato Ketchup', 'Shrimp Paste'], sizes: ['135 ml', '275 ml', '600 ml', '1 L'], unit: 'bottle', price: [70, 450], tags: ['halal'] },
    ],
  },
  {
    name: 'Beverages', slug: 'beverages', leaves: [
      { name: 'Coffee & Tea', slug: 'coffee-tea', code: 'COF', items: ['Ground Robusta Coffee', '3-in-1 Instant Coffee', 'Jasmine Tea Bags', 'Black Tea Leaves', 'Kopi Luwak Blend', 'Ginger Tea'], sizes: ['10 sachets', '25 sachets', '200 g', '1 kg'], unit: 'box', price: [150, 1200], tags: ['hot-drink'] },
      { name: 'Soft Drinks', slug: 'soft-drinks', code: 'SFT', items: ['Cola', 'Lemon Soda', 'Sweet Iced Tea', 'Grass Jelly Drink', 'Guava Juice', 'Soy Milk'], sizes: ['330 ml can', '1.5 L bottle', '24 x 330 ml'], unit: 'case', price: [60, 1400], tags: ['cold-drink'] },
      { name: 'Mineral Water', slug: 'mineral-water', code: 'WTR', items: ['Mineral Water', 'Sparkling Water', 'Alkaline Water', 'Drinking Water Gallon'], sizes: ['600 ml', '1.5 L', '19 L'], unit: 'case', price: [40, 500], tags: ['cold-drink'] },
    ],
  },
  {
    name: 'Snacks', slug: 'snacks', leaves: [
      { name: 'Biscuits', slug: 'biscuits', code: 'BSC', items: ['Butter Cookies', 'Cream Crackers', 'Wafer Rolls', 'Coconut Biscuits', 'Chocolate Sandwich Biscuits', 'Marie Biscuits'], sizes: ['100 g', '300 g', 'tin 700 g'], unit: 'pack', price: [80, 700], tags: ['snack'] },
      { name: 'Chips & Crackers', slug: 'chips-crackers', code: 'CHP', items: ['Prawn Crackers', 'Cassava Chips', 'Potato Chips', 'Emping Crackers', 'Banana Chips', 'Spicy Tempeh Chips'], sizes: ['70 g', '200 g', '1 kg'], unit: 'pack', price: [70, 500], tags: ['snack', 'spicy'] },
      { name: 'Confectionery', slug: 'confectionery', code: 'CNF', items: ['Milk Candy', 'Ginger Candy', 'Coffee Candy', 'Chocolate Bar', 'Jelly Cups', 'Mint Drops'], sizes: ['single', 'bag of 50', 'jar of 150'], unit: 'pack', price: [30, 600], tags: ['snack', 'sweet'] },
    ],
  },
  {
    name: 'Household', slug: 'household', leaves: [
      { name: 'Laundry', slug: 'laundry', code: 'LDY', items: ['Detergent Powder', 'Liquid Detergent', 'Fabric Softener', 'Bar Soap for Laundry', 'Bleach'], sizes: ['800 g', '1.8 kg', '5 kg'], unit: 'pack', price: [120, 900], tags: ['cleaning'] },
      { name: 'Dishwashing & Cleaning', slug: 'dishwashing-cleaning', code: 'CLN', items: ['Dishwashing Liquid', 'Floor Cleaner', 'Scouring Sponge', 'Glass Cleaner', 'Toilet Cleaner', 'Mop Head'], sizes: ['400 ml', '800 ml', '5 L'], colours: ['Blue', 'Green', 'Yellow', 'Pink'], unit: 'each', price: [60, 500], tags: ['cleaning'] },
      { name: 'Tissue & Paper', slug: 'tissue-paper', code: 'TIS', items: ['Facial Tissue', 'Toilet Roll', 'Kitchen Towel', 'Wet Wipes', 'Paper Napkins'], sizes: ['single', '4 pack', '10 pack', '40 pack'], colours: ['White', 'Pink', 'Green'], unit: 'pack', price: [50, 800], tags: ['paper'] },
    ],
  },
];

export const brands = [
  'Sari Jaya', 'Bintang Mas', 'Sinar Pagi', 'Lotus Gold', 'Mutiara', 'Golden Harvest', 'Nusantara', 'Merapi', 'Teratai',
  'Cap Kapal', 'Pelangi', 'Rama', 'Sumber Rejeki', 'Harmoni', 'Kirana', 'Bunga Raya', 'Tiga Gajah', 'Eastern Pearl', 'Mekar', 'Delima',
] as const;

export const extraTags = ['bestseller', 'new', 'promo', 'bulk', 'imported', 'local'] as const;

export interface Place {
  code: string;
  name: string;
  region: string;
  cities: readonly string[];
  timezone: string;
  latitude: number;
  longitude: number;
  postalPrefix: string;
}

/** Territory n and warehouse WH-n serve the same city. Demo logins name territories 1 and 2. */
export const places: readonly Place[] = [
  { code: 'JKT', name: 'Jakarta', region: 'DKI Jakarta', cities: ['Jakarta Pusat', 'Jakarta Barat', 'Jakarta Selatan', 'Jakarta Timur', 'Jakarta Utara'], timezone: 'Asia/Jakarta', latitude: -6.2, longitude: 106.82, postalPrefix: '10' },
  { code: 'SBY', name: 'Surabaya', region: 'Jawa Timur', cities: ['Surabaya', 'Sidoarjo', 'Gresik'], timezone: 'Asia/Jakarta', latitude: -7.25, longitude: 112.75, postalPrefix: '60' },
  { code: 'MDN', name: 'Medan', region: 'Sumatera Utara', cities: ['Medan', 'Binjai', 'Deli Serdang'], timezone: 'Asia/Jakarta', latitude: 3.59, longitude: 98.67, postalPrefix: '20' },
  { code: 'BDG', name: 'Bandung', region: 'Jawa Barat', cities: ['Bandung', 'Cimahi', 'Sumedang'], timezone: 'Asia/Jakarta', latitude: -6.91, longitude: 107.61, postalPrefix: '40' },
  { code: 'SMG', name: 'Semarang', region: 'Jawa Tengah', cities: ['Semarang', 'Kendal', 'Demak'], timezone: 'Asia/Jakarta', latitude: -6.97, longitude: 110.42, postalPrefix: '50' },
  { code: 'MKS', name: 'Makassar', region: 'Sulawesi Selatan', cities: ['Makassar', 'Gowa', 'Maros'], timezone: 'Asia/Makassar', latitude: -5.14, longitude: 119.42, postalPrefix: '90' },
  { code: 'DPS', name: 'Denpasar', region: 'Bali', cities: ['Denpasar', 'Badung', 'Gianyar'], timezone: 'Asia/Makassar', latitude: -8.65, longitude: 115.22, postalPrefix: '80' },
  { code: 'PLM', name: 'Palembang', region: 'Sumatera Selatan', cities: ['Palembang', 'Banyuasin', 'Prabumulih'], timezone: 'Asia/Jakarta', latitude: -2.99, longitude: 104.76, postalPrefix: '30' },
  { code: 'BPN', name: 'Balikpapan', region: 'Kalimantan Timur', cities: ['Balikpapan', 'Samarinda', 'Penajam'], timezone: 'Asia/Makassar', latitude: -1.24, longitude: 116.85, postalPrefix: '76' },
  { code: 'YOG', name: 'Yogyakarta', region: 'DI Yogyakarta', cities: ['Yogyakarta', 'Sleman', 'Bantul'], timezone: 'Asia/Jakarta', latitude: -7.8, longitude: 110.36, postalPrefix: '55' },
];

export const shopKinds = ['Toko', 'Warung', 'Kedai', 'Minimarket', 'Grosir', 'Kios', 'UD', 'CV'] as const;
export const shopWords = [
  'Makmur', 'Jaya', 'Sentosa', 'Abadi', 'Berkah', 'Sejahtera', 'Maju', 'Sumber', 'Rezeki', 'Mandiri', 'Bahagia', 'Sinar',
  'Murah', 'Barokah', 'Lancar', 'Baru', 'Indah', 'Mulia', 'Harapan', 'Cahaya', 'Sumber Rejeki', 'Tiga Saudara',
] as const;

export const firstNames = [
  'Budi', 'Siti', 'Agus', 'Dewi', 'Rizky', 'Putri', 'Hendra', 'Ayu', 'Wahyu', 'Nur', 'Farid', 'Lestari', 'Arif', 'Maya',
  'Joko', 'Intan', 'Ahmad', 'Mei Ling', 'Hafiz', 'Aisyah', 'Yusuf', 'Ratna', 'Teguh', 'Wulan',
] as const;
export const lastNames = [
  'Santoso', 'Wijaya', 'Pratama', 'Hidayat', 'Lim', 'Tan', 'Saputra', 'Kusuma', 'Rahman', 'Halim', 'Nugroho', 'Setiawan',
  'Gunawan', 'Siregar', 'Harahap', 'Wibowo',
] as const;

export const streets = [
  'Jl. Sudirman', 'Jl. Gatot Subroto', 'Jl. Diponegoro', 'Jl. Ahmad Yani', 'Jl. Merdeka', 'Jl. Pemuda', 'Jl. Gajah Mada',
  'Jl. Hayam Wuruk', 'Jl. Veteran', 'Jl. Pahlawan', 'Jl. Kartini', 'Jl. Imam Bonjol', 'Jl. Pasar Baru', 'Jl. Raya Pos',
] as const;
